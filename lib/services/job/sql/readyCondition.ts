// Its own module, free of TypeORM: the empty-run probe (anyJobToRun.ts) needs it before
// anything heavier is loaded.

/**
 * Jobs on resources (lib/services/resources/): a job that names a resource is ready only at
 * the front of its resource's queue, so the jobs of one resource run one at a time, in id
 * (enqueue) order, whatever the number of runners: no older job of the resource is pending
 * (WAITING, RUNNING or SUSPENDED; FAILED and COMPLETED let the next go), and no job holds it
 * (RUNNING or SUSPENDED: an older job put back by a retry waits for a later one that runs).
 * A job with no resource stops at `resource_name IS NULL` (OR evaluates in order and stops at
 * the first true), so it pays no subquery. Both subqueries are one probe of a small partial
 * index (job__resource_pending__idx, job__resource_holding__idx).
 * Why it is safe under READ COMMITTED with SKIP LOCKED: a claim sees the jobs ahead as its
 * snapshot shows them, and a job ahead leaves the pending statuses only by a committed
 * COMPLETED or FAILED, after its own run and writes; a job ahead that another runner has
 * locked, or has claimed and not yet committed, still shows as WAITING, so the job behind it
 * is skipped. The one order that could start two at once (a finished older job put back to
 * WAITING in the same instant a later one is claimed) is described in the README.
 */
export const RESOURCE_TURN_CONDITION = `(job.resource_name IS NULL OR (
    NOT EXISTS (SELECT 1 FROM job ahead
      WHERE ahead.resource_type = job.resource_type AND ahead.resource_name = job.resource_name
        AND ahead.resource_name IS NOT NULL AND ahead.status IN ('WAITING', 'RUNNING', 'SUSPENDED') AND ahead.id < job.id)
    AND NOT EXISTS (SELECT 1 FROM job holder
      WHERE holder.resource_type = job.resource_type AND holder.resource_name = job.resource_name
        AND holder.resource_name IS NOT NULL AND holder.status IN ('RUNNING', 'SUSPENDED'))))`;

/** A job is ready when it waits, no live lease covers it, its start time has come, and, if
 * it names a resource, it is at the front of that resource's queue. */
export const READY_CONDITION = `job.status = 'WAITING'
  AND (job.lease_expires IS NULL OR job.lease_expires < now())
  AND (job.scheduled_start IS NULL OR job.scheduled_start <= now())
  AND ${RESOURCE_TURN_CONDITION}`;
