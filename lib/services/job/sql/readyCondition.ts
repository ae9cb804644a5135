// Its own module, free of TypeORM: the empty-run probe (anyJobToRun.ts) needs it before
// anything heavier is loaded.

/** A job is ready when it waits, no live lease covers it and its start time has come. */
export const READY_CONDITION = `job.status = 'WAITING'
  AND (job.lease_expires IS NULL OR job.lease_expires < now())
  AND (job.scheduled_start IS NULL OR job.scheduled_start <= now())`;
