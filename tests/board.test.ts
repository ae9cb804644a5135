// The job board's contract, after TaskFlow's JobBoard, case by case on real PostgreSQL: every
// "will cause an exception" of the abstract board is a test here. Serial: each board holds
// three connections, and a server's max_connections is shared by every test file.
import test, { type ExecutionContext } from 'ava';
import { JobState } from '../lib/services/board/boardJob.ts';
import { BoardWatch, WatchAborted } from '../lib/services/board/boardWatch.ts';
import { JobFailure, NotFound, UnclaimableJob } from '../lib/services/board/errors.ts';
import { JobBoard, POSTED, REMOVAL, type BoardEventDetails } from '../lib/services/board/jobBoard.ts';
import { BOARD_JOB_TYPE } from '../lib/services/board/sql/boardRow.ts';
import { encodePayload, parsePayload } from '../lib/services/notify/payload.ts';
import { reloadJob } from './helpers/factory.ts';
import { waitFor } from './helpers/scriptedSection.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'board');
let boards = 0;

/** A connected board of a name no other test uses, closed when the test ends. */
async function openBoard(t: ExecutionContext, name = `board-${++boards}`, options: { leaseMs?: number; pageSize?: number } = {}): Promise<JobBoard> {
  const board = new JobBoard(name, { url: db().url, ...options });
  t.teardown(() => board.close());
  await board.connect();
  return board;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

// --- post ---

test.serial('post returns the job: id, name, details defaulting to {}, times, UNCLAIMED', async (t) => {
  const board = await openBoard(t);
  const before = await board.jobCount();
  const job = await board.post('resize');
  t.true(job.id > 0);
  t.is(job.name, 'resize');
  t.deepEqual(job.details, {});
  t.true(job.createdOn instanceof Date);
  t.is(job.lastModified.getTime(), job.createdOn.getTime());
  t.is(job.state, JobState.UNCLAIMED);
  t.is(job.owner, null);
  t.is(await board.jobCount(), before + 1);
  const row = await reloadJob(db().admin.manager, job.id);
  t.is(row.jobType, BOARD_JOB_TYPE);
  t.is(row.queueName, board.name);
  t.is(row.status, 'WAITING');
});

test.serial('post keeps the details as given', async (t) => {
  const board = await openBoard(t);
  const details = { image: 'cat.png', sizes: [16, 32], nested: { ok: true } };
  const job = await board.post('resize', details);
  t.deepEqual(job.details, details);
  const [listed] = await collect(board.iterjobs());
  t.deepEqual(listed!.details, details);
});

test.serial('a post the database refuses raises JobFailure and leaves jobCount unchanged', async (t) => {
  const board = await openBoard(t);
  await board.post('first');
  // jsonb cannot hold a NUL character: the INSERT fails in the database.
  const error = await t.throwsAsync(board.post('bad', { text: 'a\u0000b' }), { instanceOf: JobFailure });
  t.regex(error.message, /^Posting failure on board board-\d+: /);
  t.is(await board.jobCount(), 1);
});

test.serial('a post whose details cannot be written as JSON raises JobFailure and posts nothing', async (t) => {
  const board = await openBoard(t);
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  await t.throwsAsync(board.post('bad', circular), { instanceOf: JobFailure });
  await t.throwsAsync(board.post('bad', { big: 10n }), { instanceOf: JobFailure });
  t.is(await board.jobCount(), 0);
});

test.serial('post refuses details that are not an object, and a name that is not a string', async (t) => {
  const board = await openBoard(t);
  await t.throwsAsync(board.post('x', [1, 2] as unknown as Record<string, unknown>), { instanceOf: TypeError });
  await t.throwsAsync(board.post(7 as unknown as string), { instanceOf: TypeError });
  t.is(await board.jobCount(), 0);
});

// --- claim ---

test.serial('claim makes the job CLAIMED by who; findOwner names who', async (t) => {
  const board = await openBoard(t);
  const job = await board.post('work');
  const claimed = await board.claim(job, 'alice');
  t.is(claimed.state, JobState.CLAIMED);
  t.is(claimed.owner, 'alice');
  t.true(claimed.lastModified.getTime() >= job.lastModified.getTime());
  t.is(await board.findOwner(job), 'alice');
  t.is(await job.currentState(), JobState.CLAIMED);
  t.is(await board.jobCount(), 1, 'a claimed job is still on the board');
});

test.serial('claiming a job claimed by someone else raises UnclaimableJob, a JobFailure, naming the owner', async (t) => {
  const board = await openBoard(t);
  const job = await board.post('work');
  await board.claim(job, 'alice');
  const error = await t.throwsAsync(board.claim(job, 'bob'), { instanceOf: UnclaimableJob });
  t.true(error instanceof JobFailure);
  t.is(error.owner, 'alice');
  t.regex(error.message, /already claimed by 'alice'/);
  t.is(await board.findOwner(job), 'alice');
});

test.serial('claiming a job one already holds raises UnclaimableJob too', async (t) => {
  const board = await openBoard(t);
  const job = await board.post('work');
  await board.claim(job, 'alice');
  await t.throwsAsync(board.claim(job, 'alice'), { instanceOf: UnclaimableJob });
});

test.serial('claiming a job that does not exist raises NotFound', async (t) => {
  const board = await openBoard(t);
  await t.throwsAsync(board.claim(999_999_999, 'alice'), { instanceOf: NotFound });
});

test.serial('claiming a job of another board raises NotFound', async (t) => {
  const board = await openBoard(t);
  const other = await openBoard(t);
  const job = await other.post('elsewhere');
  await t.throwsAsync(board.claim(job.id, 'alice'), { instanceOf: NotFound });
  t.is(await other.findOwner(job), null);
});

test.serial('who must name someone', async (t) => {
  const board = await openBoard(t);
  const job = await board.post('work');
  await t.throwsAsync(board.claim(job, ''), { instanceOf: RangeError });
  await t.throwsAsync(board.claim(job, null as unknown as string), { instanceOf: TypeError });
});

// --- abandon ---

test.serial('abandon by the owner makes the job UNCLAIMED and claimable by others', async (t) => {
  const board = await openBoard(t);
  const job = await board.post('work');
  await board.claim(job, 'alice');
  const abandoned = await board.abandon(job, 'alice');
  t.is(abandoned.state, JobState.UNCLAIMED);
  t.is(await board.findOwner(job), null);
  t.is((await board.claim(job, 'bob')).owner, 'bob');
});

test.serial('abandoning a job one does not own raises JobFailure ("not owned by") and leaves the claim', async (t) => {
  const board = await openBoard(t);
  const job = await board.post('work');
  await board.claim(job, 'alice');
  const error = await t.throwsAsync(board.abandon(job, 'bob'), { instanceOf: JobFailure });
  t.false(error instanceof UnclaimableJob);
  t.regex(error.message, /not owned by bob/);
  t.is(await board.findOwner(job), 'alice');
});

test.serial('abandoning an unclaimed job raises NotFound', async (t) => {
  const board = await openBoard(t);
  const job = await board.post('work');
  await t.throwsAsync(board.abandon(job, 'alice'), { instanceOf: NotFound, message: /nobody has claimed/ });
});

test.serial('abandoning a job that does not exist raises NotFound', async (t) => {
  const board = await openBoard(t);
  await t.throwsAsync(board.abandon(999_999_999, 'alice'), { instanceOf: NotFound });
});

// --- consume ---

test.serial('consume by the owner takes the job off the board for good, kept as COMPLETED history', async (t) => {
  const board = await openBoard(t);
  const job = await board.post('work', { n: 1 });
  await board.claim(job, 'alice');
  const consumed = await board.consume(job, 'alice');
  t.is(consumed.state, JobState.COMPLETE);
  t.is(await board.jobCount(), 0);
  t.deepEqual(await collect(board.iterjobs()), []);
  t.is(await board.findOwner(job), null);
  const row = await reloadJob(db().admin.manager, job.id);
  t.is(row.status, 'COMPLETED');
  t.is(row.claimedBy, 'alice');
  t.like(row.jsonData, { name: 'work', details: { n: 1 }, outcome: 'succeeded' });
  t.is(row.lastError, null);
});

test.serial('consume with an error records the failed outcome and the error', async (t) => {
  const board = await openBoard(t);
  const job = await board.post('work');
  await board.claim(job, 'alice');
  await board.consume(job, 'alice', { error: new RangeError('too big') });
  const row = await reloadJob(db().admin.manager, job.id);
  t.is(row.status, 'COMPLETED');
  t.like(row.jsonData, { outcome: 'failed' });
  t.is(row.lastError, 'RangeError: too big');
});

test.serial('consuming a job one does not own raises JobFailure ("not owned by") and leaves the claim', async (t) => {
  const board = await openBoard(t);
  const job = await board.post('work');
  await board.claim(job, 'alice');
  const error = await t.throwsAsync(board.consume(job, 'bob'), { instanceOf: JobFailure });
  t.regex(error.message, /not owned by bob/);
  t.is(await board.jobCount(), 1);
  t.is(await board.findOwner(job), 'alice');
});

test.serial('consuming an unclaimed job raises NotFound and leaves it on the board', async (t) => {
  const board = await openBoard(t);
  const job = await board.post('work');
  await t.throwsAsync(board.consume(job, 'alice'), { instanceOf: NotFound });
  t.is(await board.jobCount(), 1);
});

test.serial('consuming twice raises NotFound', async (t) => {
  const board = await openBoard(t);
  const job = await board.post('work');
  await board.claim(job, 'alice');
  await board.consume(job, 'alice');
  await t.throwsAsync(board.consume(job, 'alice'), { instanceOf: NotFound });
});

test.serial('a consumed job can be neither claimed nor abandoned again', async (t) => {
  const board = await openBoard(t);
  const job = await board.post('work');
  await board.claim(job, 'alice');
  await board.consume(job, 'alice');
  await t.throwsAsync(board.claim(job, 'bob'), { instanceOf: NotFound });
  await t.throwsAsync(board.abandon(job, 'alice'), { instanceOf: NotFound });
  t.is(await job.currentState(), JobState.COMPLETE);
});

test.serial('job.wait() is false until the job is consumed and true once it is', async (t) => {
  const board = await openBoard(t);
  const other = await openBoard(t, board.name);
  const job = await board.post('work');
  t.false(await job.wait(50));
  const waiting = job.wait(120_000);
  await other.claim(job.id, 'alice');
  await other.consume(job.id, 'alice');
  t.true(await waiting);
  t.true(await job.wait(0));
});

// --- iterjobs, jobCount ---

test.serial('iterjobs lists the jobs in posting order; onlyUnclaimed leaves claimed ones out', async (t) => {
  const board = await openBoard(t);
  const jobs = [];
  for (const name of ['a', 'b', 'c', 'd']) jobs.push(await board.post(name));
  await board.claim(jobs[1]!, 'alice');
  t.deepEqual((await collect(board.iterjobs())).map((job) => job.name), ['a', 'b', 'c', 'd']);
  t.deepEqual((await collect(board.iterjobs({ onlyUnclaimed: true }))).map((job) => job.name), ['a', 'c', 'd']);
  t.deepEqual((await collect(board.iterjobs({ ensureFresh: true }))).map((job) => job.state), ['UNCLAIMED', 'CLAIMED', 'UNCLAIMED', 'UNCLAIMED']);
  t.is(await board.jobCount(), 4);
});

test.serial('iterjobs reads the board a page at a time, as it goes', async (t) => {
  const board = await openBoard(t, undefined, { pageSize: 2 });
  for (const name of ['a', 'b', 'c']) await board.post(name);
  const seen: string[] = [];
  for await (const job of board.iterjobs()) {
    seen.push(job.name);
    // Posted after the first page was read: a later page finds it.
    if (job.name === 'a') await board.post('d');
  }
  t.deepEqual(seen, ['a', 'b', 'c', 'd']);
});

test.serial('boards of different names share the database but not their jobs', async (t) => {
  const first = await openBoard(t);
  const second = await openBoard(t);
  await first.post('one');
  await first.post('two');
  await second.post('three');
  t.is(await first.jobCount(), 2);
  t.is(await second.jobCount(), 1);
  t.deepEqual((await collect(second.iterjobs())).map((job) => job.name), ['three']);
});

// --- wait ---

test.serial('wait returns the jobs at once when the board has some', async (t) => {
  const board = await openBoard(t);
  await board.post('ready');
  t.deepEqual((await collect(await board.wait(0))).map((job) => job.name), ['ready']);
});

test.serial('wait raises NotFound when no job comes within the timeout', async (t) => {
  const board = await openBoard(t);
  const started = Date.now();
  await t.throwsAsync(board.wait(200), { instanceOf: NotFound });
  t.true(Date.now() - started >= 200);
});

test.serial('wait is woken by a post on another connection, long before its timeout', async (t) => {
  const board = await openBoard(t);
  const poster = await openBoard(t, board.name);
  // Nothing polls: with a timeout of ten minutes, only the notification can end the wait.
  const waiting = board.wait(600_000);
  await poster.post('news');
  t.deepEqual((await collect(await waiting)).map((job) => job.name), ['news']);
});

test.serial('wait with no timeout waits until a job comes', async (t) => {
  const board = await openBoard(t);
  const poster = await openBoard(t, board.name);
  const waiting = board.wait();
  await poster.post('eventually');
  t.is((await collect(await waiting)).length, 1);
});

test.serial('wait with onlyUnclaimed ignores claimed jobs and is woken when one is abandoned', async (t) => {
  const board = await openBoard(t);
  const job = await board.post('held');
  await board.claim(job, 'alice');
  await t.throwsAsync(board.wait(100, { onlyUnclaimed: true }), { instanceOf: NotFound });
  const waiting = board.wait(600_000, { onlyUnclaimed: true });
  await board.abandon(job, 'alice');
  t.deepEqual((await collect(await waiting)).map((found) => found.id), [job.id]);
});

test.serial('wait refuses a timeout that is not a number of milliseconds', async (t) => {
  const board = await openBoard(t);
  for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '5' as unknown as number]) {
    await t.throwsAsync(board.wait(bad), { instanceOf: RangeError });
  }
});

// --- notifications ---

test.serial('POSTED and REMOVAL callbacks hear of posts and consumptions made on another connection', async (t) => {
  const board = await openBoard(t);
  const other = await openBoard(t, board.name);
  const heard: string[] = [];
  board.on(POSTED, (details: BoardEventDetails) => void heard.push(`posted ${details.jobId}`));
  board.on(REMOVAL, (details: BoardEventDetails) => void heard.push(`removal ${details.jobId}`));
  const job = await other.post('work');
  await other.claim(job.id, 'alice');
  await other.abandon(job.id, 'alice');
  await other.claim(job.id, 'bob');
  await other.consume(job.id, 'bob');
  await waitFor('the removal', async () => heard.length === 2);
  t.deepEqual(heard, [`posted ${job.id}`, `removal ${job.id}`]);
});

test.serial('a callback of one board does not hear of another board', async (t) => {
  const board = await openBoard(t);
  const other = await openBoard(t);
  const heard: number[] = [];
  board.on(POSTED, ({ jobId }) => void heard.push(jobId));
  await other.post('elsewhere');
  const mine = await board.post('here');
  await waitFor('my post', async () => heard.length > 0);
  t.deepEqual(heard, [mine.id]);
});

// --- connect, close ---

test.serial('connected is false before connect and after close; a closed board refuses work until it connects again', async (t) => {
  const board = new JobBoard(`board-${++boards}`, { url: db().url });
  t.teardown(() => board.close());
  t.false(board.connected);
  await t.throwsAsync(board.post('early'), { instanceOf: JobFailure, message: /not connected/ });
  await board.connect();
  t.true(board.connected);
  await board.post('one');
  await board.close();
  t.false(board.connected);
  await t.throwsAsync(board.jobCount(), { instanceOf: JobFailure });
  await board.connect();
  t.is(await board.jobCount(), 1);
});

test.serial('close gives up the claims the board holds and ends waits with JobFailure', async (t) => {
  const board = await openBoard(t);
  const observer = await openBoard(t, board.name);
  const job = await board.post('work');
  await board.claim(job, 'alice');
  const waiting = board.wait(600_000, { onlyUnclaimed: true });
  await board.close();
  await t.throwsAsync(waiting, { instanceOf: JobFailure });
  t.is(await observer.findOwner(job.id), null);
  t.is((await observer.claim(job.id, 'bob')).owner, 'bob');
});

test.serial('a board needs a name and sane lease settings', (t) => {
  t.throws(() => new JobBoard('', { url: db().url }), { instanceOf: RangeError });
  t.throws(() => new JobBoard('x', { url: db().url, leaseMs: 0 }), { instanceOf: RangeError });
  t.throws(() => new JobBoard('x', { url: db().url, leaseMs: 1000, renewEveryMs: 1000 }), { instanceOf: RangeError });
});

test.serial('board notifications are typed payloads of the one channel; malformed ones are refused', (t) => {
  const payload = { kind: 'board', event: 'posted', board: 'b', id: 7 } as const;
  t.deepEqual(parsePayload(encodePayload(payload)), payload);
  t.deepEqual(parsePayload('{"kind": "board", "event": "exploded", "board": "b", "id": 7}'), { invalid: 'board without a known event, a board name and a job id' });
  t.deepEqual(parsePayload('{"kind": "board", "event": "removal", "board": "b", "id": "7"}'), { invalid: 'board without a known event, a board name and a job id' });
});

test('a wait given a signal that is already aborted fails at once and leaves no timer behind (it would keep the process alive)', async (t) => {
  const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
  const before = timers();
  const watch = new BoardWatch(() => true, () => undefined);
  await t.throwsAsync(watch.until(600_000, AbortSignal.abort()), { instanceOf: WatchAborted });
  t.is(timers(), before);
});
