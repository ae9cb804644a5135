// Round trips on the worker's hot path, counted on the pg connections (not timed, so the
// counts do not depend on how busy the machine is): what a run sends for one job, and how
// many statements a job's first statement waits behind on its connection after the claim.
import test from 'ava';
import pg from 'pg';
import { openDataSource } from '../lib/services/database/dataSource.ts';
import { JobRunner } from '../lib/services/job/runner.ts';
import { makeOopsFiler } from '../lib/services/oops/filer.ts';
import { ListLogger } from '../lib/services/scripts/logger.ts';
import { KeptConnection } from '../lib/services/job/keptConnection.ts';
import { WorkerLane } from '../lib/services/worker/workerLane.ts';
import { IDeclaredScriptedJobSource, ScriptedJob } from './helpers/scriptedJob.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'workerRoundTrips');

const MARK = 'SELECT 1 AS job_first_statement';

interface Sent {
  client: object;
  text: string;
  /** When it was sent and when its result came back, on one count across all clients. */
  sentAt: number;
  doneAt?: number;
}

/** Every query sent on any pg client from now until the returned function is called, in
 * the order they are sent, each marked with when it was sent and when its result came back
 * (one count of events across all clients). */
function recordQueries(): () => Sent[] {
  const sent: Sent[] = [];
  let events = 0;
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: object, ...args: unknown[]) {
    const first = args[0];
    const entry: Sent = { client: this, sentAt: ++events, text: (typeof first === 'string' ? first : String((first as { text?: string }).text)).replace(/\s+/g, ' ') };
    sent.push(entry);
    const done = () => (entry.doneAt = ++events);
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = (...result: unknown[]) => {
        done();
        return (callback as (...r: unknown[]) => unknown)(...result);
      };
    }
    const returned = (original as (...a: unknown[]) => unknown).apply(this, args);
    if (typeof callback !== 'function' && returned && typeof (returned as Promise<unknown>).then === 'function') (returned as Promise<unknown>).then(done, done);
    return returned;
  } as typeof original;
  return () => {
    pg.Client.prototype.query = original;
    return sent;
  };
}

/** The statements in short (their first words), and how many round trips the job's first
 * statement waited for once the claim's result was back: statements sent on the job's
 * connection after that and before it (one written behind the claim, in the same flight, is
 * not one). */
function summary(sent: Sent[]): { statements: string[]; onJobConnection: string[]; waitedBehind: number } {
  const claim = sent.find(({ text }) => text.includes('FOR UPDATE SKIP LOCKED'))!;
  const firstIndex = sent.findIndex(({ text }) => text === MARK);
  const jobClient = sent[firstIndex]!.client;
  const short = ({ text }: Sent) => (text.includes('FOR UPDATE SKIP LOCKED') ? 'claim' : text.split(' ').slice(0, 2).join(' '));
  return {
    // Sorted: a claim and the START TRANSACTION sent beside it on another connection go in either order.
    statements: sent.map(short).sort(),
    onJobConnection: sent.filter(({ client }) => client === jobClient).map(short).filter((text) => text !== 'claim'),
    waitedBehind: sent.slice(0, firstIndex).filter(({ client, sentAt }) => client === jobClient && sentAt > claim.doneAt!).length,
  };
}

function options() {
  return { logger: new ListLogger(), fileOops: makeOopsFiler({ errorDir: db().errorDir, reporter: 'TEST-rt' }) };
}

test.serial.afterEach.always(async () => {
  await db().admin.query('DELETE FROM job');
});

// A job that runs in a transaction of its own starts it once claimed: its first statement
// waits behind START TRANSACTION. A batch of quick jobs is claimed on its own connection with
// START TRANSACTION written right behind the claim: the job's first statement waits for nothing.
const MODES = [
  { name: 'own transaction', quickJobMs: 0, waitedBehind: 1, statements: ['claim', 'START TRANSACTION', 'SELECT 1', 'UPDATE job', 'COMMIT', 'claim'] },
  // The cron runner claims until a claim finds nothing; the transaction begun behind it is rolled back.
  { name: 'batch transaction', quickJobMs: Infinity, waitedBehind: 0, statements: ['claim', 'START TRANSACTION', 'SELECT 1', 'WITH finished', 'COMMIT', 'claim', 'START TRANSACTION', 'ROLLBACK'] },
];
for (const mode of MODES) {
  test.serial(`a run of one job (${mode.name}): the job's first statement waits behind ${mode.waitedBehind} statement(s) once the claim is back`, async (t) => {
    await ScriptedJob.create(db().admin.manager, { action: 'sql', sql: [MARK] });
    const source = await IDeclaredScriptedJobSource.load();
    const runner = new JobRunner({ dataSource: db().admin, ...options(), quickJobMs: mode.quickJobMs, housekeeping: false });
    const stop = recordQueries();
    await runner.runAllFromSource(source).finally(stop);
    const sent = stop();
    t.is(runner.completedCount, 1);
    const { statements, onJobConnection, waitedBehind } = summary(sent);
    t.log(statements);
    t.is(waitedBehind, mode.waitedBehind);
    t.deepEqual(statements, [...mode.statements].sort());
    t.deepEqual(onJobConnection.slice(0, 4), ['START TRANSACTION', 'SELECT 1', mode.statements[3], 'COMMIT']);
  });
}

/** A worker lane of section 'rt' on a pool of its own (3 connections, as a worker of
 * concurrency 1 has), running until `stop()`. */
async function startLane(applicationName: string) {
  const dataSource = await openDataSource(db().url, { applicationName, poolSize: 3 });
  const source = await IDeclaredScriptedJobSource.load();
  const { logger, fileOops } = options();
  const lane = new WorkerLane({ section: 'rt', source, dataSource, logger, executors: [], runnerOptions: { fileOops } });
  const running = lane.run();
  return {
    lane,
    logger,
    async stop() {
      lane.stop();
      await running;
      await lane.close();
    },
  };
}

test.serial("a woken worker's run of a quick job: claim with START TRANSACTION behind it on the connection kept from its last run, the job, its finish, COMMIT; no empty claim", async (t) => {
  const { lane, stop } = await startLane('jobsystem worker round trips');
  try {
    // The first wake learns that the job class is quick; the second and third are counted,
    // and the third runs on the connection the second kept.
    const jobConnections: object[] = [];
    for (let wake = 1; wake <= 3; wake++) {
      // Asleep first: a cycle still going (the first one, or one a poke queued) would claim
      // the new job before the recording starts.
      const asleep = Date.now() + 60_000;
      while (!lane.sleeping && Date.now() < asleep) await new Promise((resolve) => setImmediate(resolve));
      t.true(lane.sleeping);
      await ScriptedJob.create(db().admin.manager, { action: 'sql', sql: [MARK] });
      const stop = recordQueries();
      lane.poke();
      const deadline = Date.now() + 60_000;
      while (lane.completed < wake && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
      const sent = stop();
      t.is(lane.completed, wake);
      if (wake === 1) continue;
      const { statements, onJobConnection, waitedBehind } = summary(sent);
      t.log(statements);
      t.is(waitedBehind, 0);
      t.deepEqual(statements, ['claim', 'START TRANSACTION', 'SELECT 1', 'WITH finished', 'COMMIT'].sort());
      t.deepEqual(onJobConnection, ['START TRANSACTION', 'SELECT 1', 'WITH finished', 'COMMIT']);
      // One connection: the claim went on the batch's, START TRANSACTION sent before its result.
      const claim = sent.find(({ text }) => text.includes('FOR UPDATE SKIP LOCKED'))!;
      const begin = sent.find(({ text }) => text === 'START TRANSACTION')!;
      t.is(claim.client, begin.client);
      t.true(begin.sentAt < claim.doneAt!);
      jobConnections.push(begin.client);
    }
    t.is(jobConnections.length, 2);
    t.is(jobConnections[1], jobConnections[0]);
  } finally {
    await stop();
  }
});

test.serial('a kept connection that the server ended is not used again: the next wake-up runs its job on a new one, with no database loss', async (t) => {
  const applicationName = 'jobsystem worker kept connection';
  const { lane, logger, stop } = await startLane(applicationName);
  const untilAsleep = async () => {
    const asleep = Date.now() + 60_000;
    while (!lane.sleeping && Date.now() < asleep) await new Promise((resolve) => setTimeout(resolve, 5));
    t.true(lane.sleeping);
  };
  const runOne = async (expected: number) => {
    await untilAsleep();
    await ScriptedJob.create(db().admin.manager, { action: 'sql', sql: [MARK] });
    lane.poke();
    const deadline = Date.now() + 60_000;
    while (lane.completed < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    t.is(lane.completed, expected);
  };
  try {
    // The first run learns that the class is quick, the second keeps its batch connection.
    await runOne(1);
    await runOne(2);
    await untilAsleep();
    const ended = await db().admin.query('SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
    t.true(ended.length >= 1);
    // The ended connections' errors reach the client.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await runOne(3);
    t.deepEqual(logger.lines.filter((line) => /Lost the database/.test(line)), []);
  } finally {
    await stop();
  }
});

test.serial('a kept connection idle for longer than its limit is closed, not handed out again nor given back to the pool (a NAT may have dropped it unseen)', async (t) => {
  const applicationName = 'jobsystem kept idle';
  const dataSource = await openDataSource(db().url, { applicationName, poolSize: 3 });
  const pool = (dataSource.driver as unknown as { master: { totalCount: number } }).master;
  const backends = async () => (await db().admin.query('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [applicationName])).length;
  try {
    const kept = new KeptConnection(100);
    const queryRunner = dataSource.createQueryRunner();
    await queryRunner.connect();
    await kept.give(queryRunner);
    // Within the limit: the same connection.
    t.is(kept.take(), queryRunner);
    await kept.give(queryRunner);
    await new Promise((resolve) => setTimeout(resolve, 250));
    t.is(kept.take(), undefined);
    // Closed: gone from the pool and from the server.
    const deadline = Date.now() + 10_000;
    while ((pool.totalCount > 0 || (await backends()) > 0) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    t.is(pool.totalCount, 0);
    t.is(await backends(), 0);
  } finally {
    await dataSource.destroy();
  }
});
