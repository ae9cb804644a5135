import type pg from 'pg';
import type { EntityManager } from 'typeorm';
import { statementConfig } from '../../database/preparedStatements.ts';

// The runners (claimed_by, host:pid) of one host that hold RUNNING jobs of some types. Read
// through job__running_lease__idx (RUNNING jobs only), so it costs the same however long the
// history is. On the host itself a runner's death is certain once its pid is gone, without
// waiting for its lease to pass (deadRunners.ts). This module imports nothing of TypeORM's
// values: the empty-run probe uses it before TypeORM is loaded.
const TEXT = `SELECT DISTINCT job.claimed_by FROM job
  WHERE job.job_type = ANY($1::text[]) AND job.status = 'RUNNING' AND left(job.claimed_by, length($2)) = $2`;
const NAME = 'jobsystem_select_running_owners';

/** The distinct owners starting with `hostPrefix` ("host:") of RUNNING jobs of `jobTypes`. */
export async function selectRunningOwners(manager: EntityManager, jobTypes: readonly string[], hostPrefix: string): Promise<string[]> {
  const rows = (await manager.query(TEXT, [jobTypes, hostPrefix])) as Array<{ claimed_by: string }>;
  return rows.map((row) => row.claimed_by);
}

/** selectRunningOwners on a plain connection (the empty-run probe, before TypeORM is loaded). */
export async function selectRunningOwnersOn(client: pg.ClientBase, jobTypes: readonly string[], hostPrefix: string): Promise<string[]> {
  const result = await client.query<{ claimed_by: string }>(statementConfig(client, NAME, TEXT, [jobTypes, hostPrefix]));
  return result.rows.map((row) => row.claimed_by);
}
