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
  /** Under lib/services/: 'job/sql' (the default) or 'admin/sql'. */
  dir?: string;
  from: JobStatus[];
  to: JobStatus;
  /** attempt_count, max_retries and runner_deaths of the row (the rescue and the suspect
   * claim decide by them). */
  attempts?: { attemptCount?: number; maxRetries?: number; runnerDeaths?: number };
  run(manager: EntityManager, id: number, jobType: string): Promise<unknown>;
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
  { name: 'retryFailedJob', file: 'retryFailedJob.ts', dir: 'admin/sql', from: ['FAILED'], to: 'WAITING', run: (_m, id) => onClient((c) => retryFailedJob(c, id)) },
  { name: 'suspendWaitingJob', file: 'suspendWaitingJob.ts', dir: 'admin/sql', from: ['WAITING'], to: 'SUSPENDED', run: (_m, id) => onClient((c) => suspendWaitingJob(c, id)) },
  { name: 'resumeSuspendedJob', file: 'resumeSuspendedJob.ts', dir: 'admin/sql', from: ['SUSPENDED'], to: 'WAITING', run: (_m, id) => onClient((c) => resumeSuspendedJob(c, id)) },
  { name: 'cancelPendingJob', file: 'cancelPendingJob.ts', dir: 'admin/sql', from: ['WAITING', 'SUSPENDED'], to: 'FAILED', run: (_m, id) => onClient((c) => cancelPendingJob(c, id, 'Cancelled by test: why')) },
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

test('every statement under lib/services/job/sql/ and lib/services/admin/sql/ that sets job.status is listed here', (t) => {
  // A status in the SET list of an UPDATE of job (before its WHERE).
  const setsStatus = /UPDATE job SET(?:(?!WHERE)[\s\S])*\bstatus\s*=/;
  const changing = ['job/sql', 'admin/sql'].flatMap((dir) => readdirSync(fromRoot(`lib/services/${dir}`))
    .filter((file) => setsStatus.test(readFileSync(fromRoot(`lib/services/${dir}/${file}`), 'utf8')))
    .map((file) => `${dir}/${file}`)).sort();
  t.deepEqual(changing, [...new Set(STATEMENTS.map((statement) => `${statement.dir ?? 'job/sql'}/${statement.file}`))].sort());
});
