// Round trips on the worker's hot path, counted on the pg connections (not timed, so the
// counts do not depend on how busy the machine is): what a run sends for one job, and how
// many statements a job's first statement waits behind on its connection after the claim.
import test from 'ava';
import pg from 'pg';
import { openDataSource } from '../lib/services/database/dataSource.ts';
import { JobRunner } from '../lib/services/job/runner.ts';
import { makeOopsFiler } from '../lib/services/oops/filer.ts';
import { ListLogger } from '../lib/services/scripts/logger.ts';
import { WorkerLane } from '../lib/services/worker/workerLane.ts';
import { IDeclaredScriptedJobSource, ScriptedJob } from './helpers/scriptedJob.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'workerRoundTrips');

const MARK = 'SELECT 1 AS job_first_statement';

interface Sent {
  client: object;
  text: string;
}

/** Every query sent on any pg client from now until the returned function is called, in
 * the order each client sends them (a client sends one query at a time: each is a round trip). */
function recordQueries(): () => Sent[] {
  const sent: Sent[] = [];
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: object, ...args: unknown[]) {
    const first = args[0];
    sent.push({ client: this, text: (typeof first === 'string' ? first : String((first as { text?: string }).text)).replace(/\s+/g, ' ') });
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  return () => {
    pg.Client.prototype.query = original;
    return sent;
  };
}

/** The statements in short (their first words), and how many the job's connection sent
 * after the claim and before the job's first statement. */
function summary(sent: Sent[]): { statements: string[]; beforeFirst: number } {
  const claim = sent.findIndex(({ text }) => text.includes('FOR UPDATE SKIP LOCKED'));
  const first = sent.findIndex(({ text }) => text === MARK);
  const jobClient = sent[first]!.client;
  return {
    statements: sent.map(({ text }) => (text.includes('FOR UPDATE SKIP LOCKED') ? 'claim' : text.split(' ').slice(0, 2).join(' '))),
    beforeFirst: sent.slice(claim + 1, first).filter(({ client }) => client === jobClient).length,
  };
}

function options() {
  return { logger: new ListLogger(), fileOops: makeOopsFiler({ errorDir: db().errorDir, reporter: 'TEST-rt' }) };
}

test.serial.afterEach.always(async () => {
  await db().admin.query('DELETE FROM job');
});

for (const mode of [{ name: 'own transaction', quickJobMs: 0, finish: 'UPDATE job' }, { name: 'batch transaction', quickJobMs: Infinity, finish: 'WITH finished' }]) {
  test.serial(`a run of one job (${mode.name}): START TRANSACTION is the one statement between the claim and the job's first`, async (t) => {
    await ScriptedJob.create(db().admin.manager, { action: 'sql', sql: [MARK] });
    const source = await IDeclaredScriptedJobSource.load();
    const runner = new JobRunner({ dataSource: db().admin, ...options(), quickJobMs: mode.quickJobMs, housekeeping: false });
    const stop = recordQueries();
    await runner.runAllFromSource(source).finally(stop);
    const sent = stop();
    t.is(runner.completedCount, 1);
    const { statements, beforeFirst } = summary(sent);
    t.log(statements);
    t.is(beforeFirst, 1);
    // The cron runner claims until a claim finds nothing.
    t.deepEqual(statements, ['claim', 'START TRANSACTION', 'SELECT 1', mode.finish, 'COMMIT', 'claim']);
  });
}

test.serial("a woken worker's run of a quick job: claim, START TRANSACTION, the job, its finish, COMMIT; no empty claim", async (t) => {
  const dataSource = await openDataSource(db().url, { applicationName: 'jobsystem worker round trips', poolSize: 3 });
  const source = await IDeclaredScriptedJobSource.load();
  const { logger, fileOops } = options();
  const lane = new WorkerLane({ section: 'rt', source, dataSource, logger, executors: [], runnerOptions: { fileOops } });
  const running = lane.run();
  try {
    // The first wake learns that the job class is quick; the second is the one counted.
    for (let wake = 1; wake <= 2; wake++) {
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
      const { statements, beforeFirst } = summary(sent);
      t.log(statements);
      t.is(beforeFirst, 1);
      t.deepEqual(statements, ['claim', 'START TRANSACTION', 'SELECT 1', 'WITH finished', 'COMMIT']);
    }
  } finally {
    lane.stop();
    await running;
    await lane.close();
  }
});
