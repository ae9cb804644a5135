// Every statement that changes job.status (the hot path's under lib/services/job/sql/, the
// operators' under lib/services/admin/sql/), with the statuses it accepts written out:
// each of its transitions must be in the transition map, and the database must refuse the
// statement on a row in any other status. A new status-changing statement under sql/ must be
// added here (the last test fails until it is).
import { readdirSync, readFileSync } from 'node:fs';
import test from 'ava';
import type { EntityManager } from 'typeorm';
import { JobStatus, checkTransition } from '../lib/services/job/interfaces/jobStatus.ts';
import { advanceJobStep } from '../lib/services/job/sql/advanceJobStep.ts';
import { completeJobStep } from '../lib/services/job/sql/completeJobStep.ts';
import { claimJobById } from '../lib/services/job/sql/claimJobById.ts';
import { claimJobs } from '../lib/services/job/sql/claimJobs.ts';
import { claimSuspectJob } from '../lib/services/job/sql/claimSuspectJob.ts';
import { finishJob } from '../lib/services/job/sql/finishJob.ts';
import { finishJobs } from '../lib/services/job/sql/finishJobs.ts';
import { handBackJobs } from '../lib/services/job/sql/handBackJobs.ts';
import { releaseJobs } from '../lib/services/job/sql/releaseJob.ts';
import { requeueJob } from '../lib/services/job/sql/requeueJob.ts';
import { rescueExpiredJobs } from '../lib/services/job/sql/rescueExpiredJobs.ts';
import { suspendJob } from '../lib/services/job/sql/suspendJob.ts';
import { cancelPendingJob } from '../lib/services/admin/sql/cancelPendingJob.ts';
import { resumeSuspendedJob } from '../lib/services/admin/sql/resumeSuspendedJob.ts';
import { retryFailedJob } from '../lib/services/admin/sql/retryFailedJob.ts';
import { suspendWaitingJob } from '../lib/services/admin/sql/suspendWaitingJob.ts';
import { withDatabaseClient } from '../lib/services/database/databaseClient.ts';
import { abandonBoardJob } from '../lib/services/board/sql/abandonBoardJob.ts';
import { claimBoardJob } from '../lib/services/board/sql/claimBoardJob.ts';
import { consumeBoardJob } from '../lib/services/board/sql/consumeBoardJob.ts';
import { fromRoot } from '../lib/services/paths.ts';
import { makeJob, reloadJob } from './helpers/factory.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'statusstatements');
const OWNER = 'host:1';
const ALL: JobStatus[] = ['WAITING', 'RUNNING', 'COMPLETED', 'FAILED', 'SUSPENDED'];

interface Statement {
  /** The module and the case. */
  name: string;
  /** The module's file under `dir`. */
  file: string;
  /** Where the module is: lib/services/job/sql (the default), admin/sql or board/sql. */
  dir?: string;
  from: JobStatus[];
  to: JobStatus;
  /** attempt_count, max_retries and runner_deaths of the row (the rescue and the suspect
   * claim decide by them). */
  attempts?: { attemptCount?: number; maxRetries?: number; runnerDeaths?: number };
  run(manager: EntityManager, id: number, jobType: string): Promise<unknown>;
}

const JOB_SQL = 'lib/services/job/sql';
const BOARD_SQL = 'lib/services/board/sql';
const ADMIN_SQL = 'lib/services/admin/sql';

/** Make the row a job of the board 'guard', held by its owner under a live lease; the board's name. */
async function asBoardJob(manager: EntityManager, id: number): Promise<string> {
  await manager.query(`UPDATE job SET job_type = 'BoardJob', queue_name = 'guard', lease_expires = now() + interval '1 hour', json_data = '{}' WHERE id = $1`, [id]);
  return 'guard';
}

const STATEMENTS: Statement[] = [
  { name: 'claimJobs', file: 'claimJobs.ts', from: ['WAITING'], to: 'RUNNING',
    run: (m, _id, jobType) => claimJobs(m, { jobTypes: [jobType], limit: 10, leaseMs: 60_000, owner: OWNER, runStartedAt: new Date(Date.now() + 3_600_000) }) },
  { name: 'claimJobs (several types)', file: 'claimJobs.ts', from: ['WAITING'], to: 'RUNNING',
    run: (m, _id, jobType) => claimJobs(m, { jobTypes: [jobType, 'NoSuchType'], limit: 10, leaseMs: 60_000, owner: OWNER, runStartedAt: new Date(Date.now() + 3_600_000) }) },
  { name: 'claimJobById', file: 'claimJobById.ts', from: ['WAITING'], to: 'RUNNING', run: (m, id) => claimJobById(m, id, 60_000, OWNER) },
  { name: 'claimSuspectJob', file: 'claimSuspectJob.ts', from: ['WAITING'], to: 'RUNNING', attempts: { runnerDeaths: 1 },
    run: (m, _id, jobType) => claimSuspectJob(m, { jobTypes: [jobType], leaseMs: 60_000, owner: OWNER, exclude: [] }) },
  { name: 'finishJob COMPLETED', file: 'finishJob.ts', from: ['RUNNING'], to: 'COMPLETED', run: (m, id) => finishJob(m, id, OWNER, 'COMPLETED') },
  { name: 'finishJob FAILED', file: 'finishJob.ts', from: ['RUNNING'], to: 'FAILED', run: (m, id) => finishJob(m, id, OWNER, 'FAILED') },
  { name: 'finishJobs COMPLETED', file: 'finishJobs.ts', from: ['RUNNING'], to: 'COMPLETED', run: (m, id) => finishJobs(m, [id], OWNER, 'COMPLETED') },
  { name: 'finishJobs FAILED', file: 'finishJobs.ts', from: ['RUNNING'], to: 'FAILED', run: (m, id) => finishJobs(m, [id], OWNER, 'FAILED') },
  { name: 'handBackJobs', file: 'handBackJobs.ts', from: ['RUNNING'], to: 'WAITING', run: (m, id) => handBackJobs(m, OWNER, [id]) },
  { name: 'advanceJobStep', file: 'advanceJobStep.ts', from: ['RUNNING'], to: 'WAITING', run: (m, id) => advanceJobStep(m, id, OWNER, { next: true }) },
  { name: 'completeJobStep', file: 'completeJobStep.ts', from: ['RUNNING'], to: 'COMPLETED', run: (m, id) => completeJobStep(m, id, OWNER, { done: true }) },
  { name: 'releaseJobs', file: 'releaseJob.ts', from: ['RUNNING'], to: 'WAITING', run: (m, id) => releaseJobs(m, [id], OWNER) },
  { name: 'requeueJob', file: 'requeueJob.ts', from: ['RUNNING'], to: 'WAITING', run: (m, id) => requeueJob(m, id, OWNER, 0, { error: 'Error: retry', oops: null }) },
  { name: 'suspendJob', file: 'suspendJob.ts', from: ['RUNNING'], to: 'SUSPENDED', run: (m, id) => suspendJob(m, id, OWNER) },
  { name: 'rescueExpiredJobs with tries left', file: 'rescueExpiredJobs.ts', from: ['RUNNING'], to: 'WAITING',
    attempts: { attemptCount: 1, maxRetries: 0 }, run: (m, _id, jobType) => rescueExpiredJobs(m, [jobType]) },
  { name: 'rescueExpiredJobs out of tries', file: 'rescueExpiredJobs.ts', from: ['RUNNING'], to: 'FAILED',
    attempts: { attemptCount: 2, maxRetries: 0, runnerDeaths: 2 }, run: (m, _id, jobType) => rescueExpiredJobs(m, [jobType]) },
  // Operators' changes (lib/services/admin/changeJobStatus.ts), on a plain pg connection.
  { name: 'retryFailedJob', file: 'retryFailedJob.ts', dir: ADMIN_SQL, from: ['FAILED'], to: 'WAITING', run: (_m, id) => onClient((c) => retryFailedJob(c, id)) },
  { name: 'suspendWaitingJob', file: 'suspendWaitingJob.ts', dir: ADMIN_SQL, from: ['WAITING'], to: 'SUSPENDED', run: (_m, id) => onClient((c) => suspendWaitingJob(c, id)) },
  { name: 'resumeSuspendedJob', file: 'resumeSuspendedJob.ts', dir: ADMIN_SQL, from: ['SUSPENDED'], to: 'WAITING', run: (_m, id) => onClient((c) => resumeSuspendedJob(c, id)) },
  { name: 'cancelPendingJob', file: 'cancelPendingJob.ts', dir: ADMIN_SQL, from: ['WAITING', 'SUSPENDED'], to: 'FAILED', run: (_m, id) => onClient((c) => cancelPendingJob(c, id, 'Cancelled by test: why')) },
  // Job boards (lib/services/board/): the row made a board job under OWNER's live claim.
  { name: 'claimBoardJob', file: 'claimBoardJob.ts', dir: BOARD_SQL, from: ['WAITING'], to: 'RUNNING',
    run: async (m, id) => claimBoardJob(m, await asBoardJob(m, id), id, 'someone', 60_000) },
  { name: 'abandonBoardJob', file: 'abandonBoardJob.ts', dir: BOARD_SQL, from: ['RUNNING'], to: 'WAITING',
    run: async (m, id) => abandonBoardJob(m, await asBoardJob(m, id), id, OWNER) },
  { name: 'consumeBoardJob', file: 'consumeBoardJob.ts', dir: BOARD_SQL, from: ['RUNNING'], to: 'COMPLETED',
    run: async (m, id) => consumeBoardJob(m, await asBoardJob(m, id), id, OWNER, { outcome: 'succeeded', error: null }) },
];

function onClient<T>(use: Parameters<typeof withDatabaseClient<T>>[1]): Promise<T> {
  return withDatabaseClient(db().url, use);
}

test('every transition a status-changing statement makes is in the transition map', (t) => {
  for (const statement of STATEMENTS) {
    for (const from of statement.from) t.notThrows(() => checkTransition(from, statement.to), `${statement.name}: ${from} -> ${statement.to}`);
  }
});

let counter = 0;

for (const statement of STATEMENTS) {
  test.serial(`${statement.name} changes only a row in ${statement.from.join(' or ')}, to ${statement.to}`, async (t) => {
    const manager = db().admin.manager;
    for (const status of ALL) {
      counter += 1;
      const jobType = `Guard${counter}`;
      // Owned by OWNER, lease passed, never started: only the status keeps the statement off.
      const job = await makeJob(manager, { jobType, status, leaseExpires: new Date(Date.now() - 60_000), ...(statement.attempts ?? {}) });
      await db().admin.query('UPDATE job SET claimed_by = $2 WHERE id = $1', [job.id, OWNER]);
      await statement.run(manager, job.id, jobType);
      const after = (await reloadJob(manager, job.id)).status;
      if (statement.from.includes(status)) t.is(after, statement.to, `${statement.name} on a ${status} row`);
      else t.is(after, status, `${statement.name} must refuse a ${status} row`);
    }
  });
}

test('every statement under lib/services/{job,admin,board}/sql/ that sets job.status is listed here', (t) => {
  // A status in the SET list of an UPDATE of job (before its WHERE).
  const setsStatus = /UPDATE job SET(?:(?!WHERE)[\s\S])*\bstatus\s*=/;
  const changing = [JOB_SQL, ADMIN_SQL, BOARD_SQL]
    .flatMap((dir) => readdirSync(fromRoot(dir)).filter((file) => setsStatus.test(readFileSync(fromRoot(`${dir}/${file}`), 'utf8'))).map((file) => `${dir}/${file}`))
    .sort();
  t.deepEqual(changing, [...new Set(STATEMENTS.map((statement) => `${statement.dir ?? JOB_SQL}/${statement.file}`))].sort());
});
