// The job board across real processes: two racing to claim one job, an owner killed with
// SIGKILL whose claim lapses, and notifications heard from another process.
import test, { type ExecutionContext } from 'ava';
import { JobBoard, POSTED, REMOVAL } from '../lib/services/board/jobBoard.ts';
import { reloadJob } from './helpers/factory.ts';
import { waitFor } from './helpers/scriptedSection.ts';
import { useTestDatabase } from './helpers/testFile.ts';
import { startProcess, type WorkerProcess } from './helpers/workerProcess.ts';

const db = useTestDatabase(test, 'boardprocesses');
const SCRIPT = 'tests/helpers/boardProcess.ts';
let boards = 0;

async function openBoard(t: ExecutionContext, name = `board-${++boards}`, leaseMs?: number): Promise<JobBoard> {
  const board = new JobBoard(name, { url: db().url, ...(leaseMs ? { leaseMs } : {}) });
  t.teardown(() => board.close());
  await board.connect();
  return board;
}

function start(t: ExecutionContext, args: string[]): WorkerProcess {
  const child = startProcess(SCRIPT, db().configFile, args);
  t.teardown(() => {
    child.child.kill('SIGKILL');
  });
  return child;
}

async function finished(child: WorkerProcess): Promise<string> {
  const code = await child.exited;
  if (code !== 0) throw new Error(`${SCRIPT} exited with ${code}: ${child.output()}`);
  return child.output();
}

test.serial('two processes racing to claim one job: exactly one wins, the other is told who holds it', async (t) => {
  const board = await openBoard(t);
  const job = await board.post('contested');
  const barrier = 4_242_111;
  // The barrier: both processes wait for this lock, taken before they start.
  const gate = await db().admin.createQueryRunner();
  await gate.connect();
  t.teardown(() => gate.release());
  await gate.query('SELECT pg_advisory_lock($1)', [barrier]);
  const racers = ['alice', 'bob'].map((who) => start(t, ['claim', board.name, who, String(job.id), String(barrier), '30000']));
  await waitFor('both racers at the barrier', async () => {
    const [row] = (await db().admin.query('SELECT count(*)::integer AS n FROM pg_locks WHERE locktype = $1 AND objid = $2 AND NOT granted', ['advisory', barrier])) as Array<{ n: number }>;
    return row!.n === 2;
  });
  await gate.query('SELECT pg_advisory_unlock($1)', [barrier]);
  await waitFor('both answers', async () => racers.every((racer) => /^(claimed|unclaimable) /m.test(racer.output())));
  const answers = racers.map((racer) => racer.output().trim());
  const winners = answers.filter((answer) => answer.startsWith('claimed '));
  t.is(winners.length, 1, answers.join(' | '));
  const winner = winners[0]!.slice('claimed '.length);
  t.deepEqual(answers.filter((answer) => answer.startsWith('unclaimable ')), [`unclaimable ${winner}`]);
  t.is(await board.findOwner(job), winner);
  const row = await reloadJob(db().admin.manager, job.id);
  t.is(row.attemptCount, 1, 'one claim only');
});

test.serial('a live owner keeps its claim past the lease; killed with SIGKILL, its claim lapses and the job is claimable again', async (t) => {
  const leaseMs = 1500;
  const board = await openBoard(t, undefined, leaseMs);
  const job = await board.post('long work');
  const owner = start(t, ['claim', board.name, 'doomed', String(job.id), '0', String(leaseMs)]);
  await owner.waitForLine(/^claimed doomed$/m);
  const first = (await reloadJob(db().admin.manager, job.id)).leaseExpires!;
  // Renewed by the owner's process: the lease moves past where the claim first set it, and
  // the claim outlives its first lease.
  await waitFor('a renewal', async () => (await reloadJob(db().admin.manager, job.id)).leaseExpires!.getTime() > first.getTime());
  await waitFor('the first lease to pass', async () => Date.now() > first.getTime() + leaseMs);
  t.is(await board.findOwner(job), 'doomed');
  await t.throwsAsync(board.claim(job, 'rescuer'), { message: /already claimed by 'doomed'/ });

  owner.child.kill('SIGKILL');
  await owner.exited;
  await waitFor('the claim to lapse', async () => (await board.findOwner(job)) === null);
  t.is(await job.currentState(), 'UNCLAIMED');
  const claimed = await board.claim(job, 'rescuer');
  t.is(claimed.owner, 'rescuer');
  const row = await reloadJob(db().admin.manager, job.id);
  t.is(row.status, 'RUNNING');
  t.is(row.claimedBy, 'rescuer');
  t.is(row.runnerDeaths, 1, 'the dead owner is counted');
  await board.consume(job, 'rescuer');
  t.is((await reloadJob(db().admin.manager, job.id)).status, 'COMPLETED');
});

test.serial('a wait for unclaimed jobs wakes when a dead owner\'s claim lapses', async (t) => {
  const leaseMs = 1500;
  const board = await openBoard(t, undefined, leaseMs);
  const job = await board.post('orphan');
  const owner = start(t, ['claim', board.name, 'doomed', String(job.id), '0', String(leaseMs)]);
  await owner.waitForLine(/^claimed doomed$/m);
  owner.child.kill('SIGKILL');
  // No notification comes when a claim lapses: the wait looks again when the lease ends.
  const found = [];
  for await (const unclaimed of await board.wait(600_000, { onlyUnclaimed: true })) found.push(unclaimed.id);
  t.deepEqual(found, [job.id]);
});

test.serial('POSTED and REMOVAL callbacks are called for a post and a consumption made by another process', async (t) => {
  const board = await openBoard(t);
  const heard: string[] = [];
  board.on(POSTED, ({ jobId }) => void heard.push(`posted ${jobId}`));
  board.on(REMOVAL, ({ jobId }) => void heard.push(`removal ${jobId}`));
  const id = Number((await finished(start(t, ['post', board.name, 'from afar']))).trim());
  await waitFor('the POSTED callback', async () => heard.length === 1);
  t.deepEqual(heard, [`posted ${id}`]);
  t.regex(await finished(start(t, ['consume', board.name, 'remote', String(id)])), new RegExp(`^consumed ${id}$`, 'm'));
  await waitFor('the REMOVAL callback', async () => heard.length === 2);
  t.deepEqual(heard, [`posted ${id}`, `removal ${id}`]);
});
