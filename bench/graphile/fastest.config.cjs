// graphile-worker's published fastest configuration (its docs' "Performance" page), as a
// graphile-config preset for `graphile-worker --once --config bench/graphile/fastest.config.cjs`.
module.exports = {
  worker: {
    concurrentJobs: 24,
    maxPoolSize: 25,
    localQueue: { size: 500 },
    completeJobBatchDelay: 0,
    failJobBatchDelay: 0,
  },
};
