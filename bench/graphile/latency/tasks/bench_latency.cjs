// graphile-worker's task for the latency cases: records its start (bench/latencyTable.ts's
// statement, on the server's clock), nothing else.
module.exports = async (payload, helpers) => {
  await helpers.query('INSERT INTO bench_latency (seq, started_at) VALUES ($1, clock_timestamp())', [payload.seq]);
};
