// graphile-worker's task for the bench: does nothing (task identifier: bench_noop).
module.exports = async () => {};
