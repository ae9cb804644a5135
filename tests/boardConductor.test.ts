// The conductor: claims, runs, consumes (success or failure), abandons only when it could not
// run a job; its options; and four conductor processes sharing one board of 2,000 jobs.
import test, { type ExecutionContext } from 'ava';
import { Conductor, type BoardHandler, type ConductorOptions } from '../lib/services/board/conductor.ts';
import { JobBoard } from '../lib/services/board/jobBoard.ts';
import { ListLogger } from '../lib/services/scripts/logger.ts';
import { reloadJob } from './helpers/factory.ts';
import { waitFor } from './helpers/scriptedSection.ts';
import { useTestDatabase } from './helpers/testFile.ts';
import { startProcess } from './helpers/workerProcess.ts';

const db = useTestDatabase(test, 'boardconductor');
let boards = 0;

async function openBoard(t: ExecutionContext): Promise<JobBoard> {
  const board = new JobBoard(`board-${++boards}`, { url: db().url });
  t.teardown(() => board.close());
  await board.connect();
  return board;
}

function conductor(t: ExecutionContext, board: JobBoard, handler: BoardHandler, options: ConductorOptions = {}): { conductor: Conductor; logger: ListLogger } {
  const logger = new ListLogger();
  const made = new Conductor(board, 'conductor-1', handler, { logger, ...options });
  t.teardown(() => made.stop());
  return { conductor: made, logger };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

function problems(logger: ListLogger): string[] {
  return logger.lines.filter((line) => /^(WARNING|ERROR) /.test(line));
}

test.serial('the conductor runs the handler with the job\'s details and consumes the job', async (t) => {
  const board = await openBoard(t);
  const job = await board.post('greet', { who: 'world' });
  const seen: unknown[] = [];
  const { conductor: c, logger } = conductor(t, board, (details) => void seen.push(details), { maxDispatches: 1 });
  t.is(await c.run(), 1);
  t.deepEqual(seen, [{ who: 'world' }]);
  const row = await reloadJob(db().admin.manager, job.id);
  t.is(row.status, 'COMPLETED');
  t.is(row.claimedBy, 'conductor-1');
  t.like(row.jsonData, { outcome: 'succeeded' });
  t.deepEqual(problems(logger), []);
});

test.serial('a handler that fails: the job is consumed all the same, with the outcome and the error recorded', async (t) => {
  const board = await openBoard(t);
  const job = await board.post('doomed');
  const { conductor: c, logger } = conductor(t, board, () => {
    throw new TypeError('no such greeting');
  }, { maxDispatches: 1 });
  t.is(await c.run(), 1);
  const row = await reloadJob(db().admin.manager, job.id);
  t.is(row.status, 'COMPLETED');
  t.like(row.jsonData, { outcome: 'failed' });
  t.is(row.lastError, 'TypeError: no such greeting');
  t.is(await board.jobCount(), 0);
  t.deepEqual(problems(logger), [`WARNING Conductor conductor-1: board job ${job.id} (doomed) of board ${board.name} failed (consumed all the same): TypeError: no such greeting`]);
});

test.serial('maxDispatches: the conductor stops after that many jobs', async (t) => {
  const board = await openBoard(t);
  for (const name of ['a', 'b', 'c']) await board.post(name);
  const ran: string[] = [];
  const { conductor: c } = conductor(t, board, (_details, job) => void ran.push(job.name), { maxDispatches: 2 });
  t.is(await c.run(), 2);
  t.deepEqual(ran, ['a', 'b']);
  t.deepEqual((await collect(board.iterjobs())).map((job) => job.name), ['c']);
});

test.serial('jobs others have claimed are skipped quietly', async (t) => {
  const board = await openBoard(t);
  const taken = await board.post('taken');
  const free = await board.post('free');
  await board.claim(taken, 'someone-else');
  const ran: number[] = [];
  const { conductor: c, logger } = conductor(t, board, (_details, job) => void ran.push(job.id), { maxDispatches: 1 });
  t.is(await c.run(), 1);
  t.deepEqual(ran, [free.id]);
  t.is(await board.findOwner(taken), 'someone-else');
  t.deepEqual(problems(logger), []);
});

test.serial('an invalid wait timeout or maxDispatches is an error', async (t) => {
  const board = await openBoard(t);
  for (const waitTimeoutMs of [0, -5, Number.NaN, Number.POSITIVE_INFINITY, '10' as unknown as number]) {
    t.throws(() => new Conductor(board, 'c', () => undefined, { waitTimeoutMs }), { instanceOf: RangeError, message: /Invalid wait timeout/ });
  }
  for (const maxDispatches of [0, 1.5, -1]) {
    t.throws(() => new Conductor(board, 'c', () => undefined, { maxDispatches }), { instanceOf: RangeError, message: /Invalid maxDispatches/ });
  }
  t.throws(() => new Conductor(board, '', () => undefined), { instanceOf: RangeError });
});

test.serial('stopping an idle conductor: it says it no longer dispatches, and its run ends', async (t) => {
  const board = await openBoard(t);
  const { conductor: c, logger } = conductor(t, board, () => undefined, { waitTimeoutMs: 600_000 });
  const running = c.run();
  t.true(await c.stop(60_000));
  t.is(await running, 0);
  t.deepEqual(problems(logger), []);
});

test.serial('a stop that interrupts the handler abandons the job: it is claimable again', async (t) => {
  const board = await openBoard(t);
  const job = await board.post('slow');
  let started!: () => void;
  const handlerStarted = new Promise<void>((resolve) => (started = resolve));
  const { conductor: c } = conductor(t, board, (_details, _job, signal) => new Promise((_, reject) => {
    started();
    signal.addEventListener('abort', () => reject(new Error('interrupted')));
  }));
  const running = c.run();
  await handlerStarted;
  t.is(await board.findOwner(job), 'conductor-1');
  t.true(await c.stop(60_000));
  t.is(await running, 1);
  t.is(await board.findOwner(job), null);
  t.is(await job.currentState(), 'UNCLAIMED');
  t.is((await reloadJob(db().admin.manager, job.id)).status, 'WAITING');
});

test.serial('stop says false while a handler that ignores it is still running', async (t) => {
  const board = await openBoard(t);
  await board.post('stubborn');
  let finish!: () => void;
  let started!: () => void;
  const handlerStarted = new Promise<void>((resolve) => (started = resolve));
  const { conductor: c } = conductor(t, board, () => new Promise<void>((resolve) => {
    finish = resolve;
    started();
  }));
  const running = c.run();
  await handlerStarted;
  t.false(await c.stop(50));
  finish();
  t.is(await running, 1);
  t.is(await board.jobCount(), 0, 'it finished, so it was consumed');
});

test.serial('the conductor waits for jobs posted later, woken by their notification', async (t) => {
  const board = await openBoard(t);
  const ran: string[] = [];
  const { conductor: c } = conductor(t, board, (_details, job) => void ran.push(job.name), { maxDispatches: 1, waitTimeoutMs: 600_000 });
  const running = c.run();
  await board.post('late');
  t.is(await running, 1);
  t.deepEqual(ran, ['late']);
});

test.serial('four conductor processes share a board of 2,000 jobs: each job is consumed exactly once', async (t) => {
  const board = await openBoard(t);
  await db().admin.query('CREATE TABLE IF NOT EXISTS board_run (job_id bigint NOT NULL, who text NOT NULL)');
  // Posted in one statement through the board's own SQL would be 2,000 round trips; a
  // transaction of posts costs the same, so post them from four loops at once.
  const names = Array.from({ length: 2000 }, (_, i) => `job-${i}`);
  const ids: number[] = [];
  await Promise.all([0, 1, 2, 3].map(async (lane) => {
    for (let i = lane; i < names.length; i += 4) ids.push((await board.post(names[i]!, { i })).id);
  }));
  const processes = ['c1', 'c2', 'c3', 'c4'].map((who) => {
    const child = startProcess('tests/helpers/boardProcess.ts', db().configFile, ['conduct', board.name, who]);
    t.teardown(() => {
      child.child.kill('SIGKILL');
    });
    return child;
  });
  await waitFor('every job consumed', async () => (await board.jobCount()) === 0, 300_000);
  for (const child of processes) child.child.kill('SIGTERM');
  const dispatched: number[] = [];
  for (const child of processes) {
    t.is(await child.exited, 0, child.output());
    dispatched.push(Number(/dispatched (\d+)/.exec(child.output())![1]));
  }
  const runs = (await db().admin.query('SELECT job_id, count(*)::integer AS n FROM board_run GROUP BY job_id')) as Array<{ job_id: number; n: number }>;
  t.is(runs.length, 2000);
  t.true(runs.every((run) => run.n === 1), 'no job ran twice');
  t.deepEqual(runs.map((run) => Number(run.job_id)).sort((a, b) => a - b), [...ids].sort((a, b) => a - b));
  const [states] = (await db().admin.query(
    `SELECT count(*) FILTER (WHERE status = 'COMPLETED' AND attempt_count = 1 AND json_data->>'outcome' = 'succeeded')::integer AS done FROM job WHERE id = ANY($1)`,
    [ids],
  )) as Array<{ done: number }>;
  t.is(states!.done, 2000);
  t.is(dispatched.reduce((a, b) => a + b, 0), 2000);
  t.log(`dispatched per process: ${dispatched.join(', ')}`);
});
