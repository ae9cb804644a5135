// The table where the latency cases' jobs record when they started, on the server's clock
// (clock_timestamp(), the same clock as the enqueuer's commit times: no skew between
// processes). UNLOGGED: a job's insert writes no WAL, so its commit does not wait for a WAL
// flush (graphile-worker's task commits it on its own), and the measuring costs both sides
// the same one statement.
export const CREATE_TABLE = 'CREATE UNLOGGED TABLE IF NOT EXISTS bench_latency (seq integer PRIMARY KEY, started_at timestamptz NOT NULL)';
export const RECORD_START = 'INSERT INTO bench_latency (seq, started_at) VALUES ($1, clock_timestamp())';
