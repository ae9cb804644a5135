import test from 'ava';
import { FrozenClock } from '../lib/services/clock.ts';
import { InvalidTransition, LeaseHeld } from '../lib/services/job/interfaces/errors.ts';
import { JobStatus, VALID_TRANSITIONS, checkTransition } from '../lib/services/job/interfaces/jobStatus.ts';
import { Job, JobEntity } from '../lib/services/job/model/job.ts';
import { selectReadyJobs } from '../lib/services/job/sql/selectReadyJobs.ts';
import { makeJob, reloadJob } from './helpers/factory.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'job');
const ALL = Object.values(JobStatus);

function jobIn(status: JobStatus): Job {
  const job = new Job();
  job.id = 1;
  job.status = status;
  return job;
}

// Launchpad's _valid_transitions, written out, plus an operator's cancel (WAITING or
// SUSPENDED -> FAILED): the map in jobStatus.ts must say the same.
const EXPECTED_VALID = [
  'WAITING -> RUNNING',
  'WAITING -> SUSPENDED',
  'WAITING -> FAILED',
  'RUNNING -> COMPLETED',
  'RUNNING -> FAILED',
  'RUNNING -> SUSPENDED',
  'RUNNING -> WAITING',
  'FAILED -> WAITING',
  'COMPLETED -> WAITING',
  'SUSPENDED -> WAITING',
  'SUSPENDED -> FAILED',
];

for (const from of ALL) {
  for (const to of ALL) {
    const valid = EXPECTED_VALID.includes(`${from} -> ${to}`);
    test(`transition ${from} -> ${to} is ${valid ? 'valid' : 'invalid'}`, (t) => {
      t.is(VALID_TRANSITIONS[from].includes(to), valid);
      if (valid) t.notThrows(() => checkTransition(from, to));
      else t.throws(() => checkTransition(from, to), { instanceOf: InvalidTransition, message: `Transition from ${from[0]}${from.slice(1).toLowerCase()} to ${to[0]}${to.slice(1).toLowerCase()} is invalid.` });
    });
  }
}

test('start makes the job RUNNING, stamps date_started, clears date_finished and counts the attempt', (t) => {
  const clock = new FrozenClock(new Date('2026-11-23T18:00:00Z'));
  const job = jobIn('WAITING');
  job.dateFinished = new Date(0);
  job.start(clock);
  t.is(job.status, 'RUNNING');
  t.deepEqual(job.dateStarted, clock.now());
  t.is(job.dateFinished as Date | null, null);
  t.is(job.attemptCount, 1);
});

test('complete and fail stamp date_finished', (t) => {
  const clock = new FrozenClock(new Date('2026-11-23T18:00:00Z'));
  const done = jobIn('RUNNING');
  done.complete(clock);
  t.is(done.status, 'COMPLETED');
  t.deepEqual(done.dateFinished, clock.now());
  const failed = jobIn('RUNNING');
  failed.fail(clock);
  t.is(failed.status, 'FAILED');
  t.deepEqual(failed.dateFinished, clock.now());
});

test('queue after an attempt clears the lease and schedules the retry delay', (t) => {
  const clock = new FrozenClock(new Date('2026-11-23T18:00:00Z'));
  const job = jobIn('WAITING');
  job.start(clock);
  job.acquireLease(60_000, clock);
  job.queue(600_000, clock);
  t.is(job.status, 'WAITING');
  t.is(job.leaseExpires, null);
  t.deepEqual(job.scheduledStart, new Date('2026-11-23T18:10:00Z'));
  t.false(job.isRunnable(clock));
  clock.advance(600_000);
  t.true(job.isRunnable(clock));
});

test('queue before any attempt leaves scheduled_start alone', (t) => {
  const job = jobIn('SUSPENDED');
  job.queue(600_000);
  t.is(job.scheduledStart, null);
});

test('suspend and resume', (t) => {
  const job = jobIn('WAITING');
  job.suspend();
  t.is(job.status, 'SUSPENDED');
  job.resume();
  t.is(job.status, 'WAITING');
});

for (const status of ['WAITING', 'RUNNING', 'COMPLETED', 'FAILED'] as const) {
  test(`resume of a ${status} job raises InvalidTransition and leaves the job as it was`, (t) => {
    const job = jobIn(status);
    const lease = new Date('2026-11-23T18:05:00Z');
    job.leaseExpires = lease;
    job.claimedBy = 'host:1';
    const error = t.throws(() => job.resume(), { instanceOf: InvalidTransition });
    t.is(error!.from, status);
    t.is(error!.to, 'WAITING');
    t.is(error!.message, `Transition from ${status[0]}${status.slice(1).toLowerCase()} to Waiting is invalid: only a suspended job can be resumed.`);
    t.is(job.status, status);
    t.is(job.leaseExpires, lease);
    t.is(job.claimedBy, 'host:1');
  });
}

test('resume clears the lease and the owner, so the job is ready at once', (t) => {
  const clock = new FrozenClock(new Date('2026-11-23T18:00:00Z'));
  const job = jobIn('SUSPENDED');
  job.leaseExpires = new Date('2026-11-23T18:05:00Z');
  job.claimedBy = 'host:1';
  job.resume();
  t.is(job.leaseExpires as Date | null, null);
  t.is(job.claimedBy as string | null, null);
  t.true(job.isRunnable(clock));
});

test('acquireLease fails with LeaseHeld while a lease is live, and getTimeout counts down', (t) => {
  const clock = new FrozenClock(new Date('2026-11-23T18:00:00Z'));
  const job = jobIn('WAITING');
  t.is(job.getTimeout(clock), null);
  job.acquireLease(300_000, clock);
  t.is(job.getTimeout(clock), 300_000);
  t.false(job.isRunnable(clock));
  t.throws(() => job.acquireLease(300_000, clock), { instanceOf: LeaseHeld });
  clock.advance(300_001);
  t.is(job.getTimeout(clock), -1);
  t.true(job.isRunnable(clock));
  t.notThrows(() => job.acquireLease(300_000, clock));
});

test('invalid transitions throw from the state methods too', (t) => {
  t.throws(() => jobIn('COMPLETED').start(), { instanceOf: InvalidTransition });
  t.throws(() => jobIn('WAITING').complete(), { instanceOf: InvalidTransition });
  t.throws(() => jobIn('FAILED').suspend(), { instanceOf: InvalidTransition });
});

test.serial('the ready-jobs query returns waiting jobs without a live lease or a future start, oldest first', async (t) => {
  const manager = db().admin.manager;
  const soon = new Date(Date.now() + 3_600_000);
  const past = new Date(Date.now() - 3_600_000);
  const ready1 = await makeJob(manager, { jobType: 'ReadyTest' });
  await makeJob(manager, { jobType: 'ReadyTest', status: 'RUNNING' });
  await makeJob(manager, { jobType: 'ReadyTest', status: 'COMPLETED' });
  await makeJob(manager, { jobType: 'ReadyTest', status: 'SUSPENDED' });
  await makeJob(manager, { jobType: 'ReadyTest', leaseExpires: soon });
  await makeJob(manager, { jobType: 'ReadyTest', scheduledStart: soon });
  const ready2 = await makeJob(manager, { jobType: 'ReadyTest', leaseExpires: past, scheduledStart: past });
  await makeJob(manager, { jobType: 'OtherType' });
  const ready = await selectReadyJobs(manager, ['ReadyTest']);
  t.deepEqual(ready.map((job) => job.id), [ready1.id, ready2.id]);
});

test.serial('a resumed job saved with the ORM is ready at once, even if it was suspended under a live lease', async (t) => {
  const manager = db().admin.manager;
  const suspended = await makeJob(manager, { jobType: 'ResumeTest', status: 'SUSPENDED', leaseExpires: new Date(Date.now() + 3_600_000) });
  await manager.update(JobEntity, { id: suspended.id }, { claimedBy: 'host:1' });
  t.deepEqual(await selectReadyJobs(manager, ['ResumeTest']), []);
  const job = await reloadJob(manager, suspended.id);
  job.resume();
  await manager.save(job);
  t.deepEqual((await selectReadyJobs(manager, ['ResumeTest'])).map((ready) => ready.id), [suspended.id]);
  const saved = await reloadJob(manager, suspended.id);
  t.is(saved.claimedBy, null);
  t.is(saved.leaseExpires, null);
});

test.serial('the database refuses a status outside the five states', async (t) => {
  const job = await makeJob(db().admin.manager);
  const error = await t.throwsAsync(db().admin.query(`UPDATE job SET status = 'DONE' WHERE id = $1`, [job.id]));
  t.regex(error!.message, /job__status__valid/);
});
