// The claim statement's two settings of its own: it commits without waiting for its WAL (and
// nothing else does), and it is prepared again as the job table grows; and the plans of a
// batch's claim and finish, which must not grow with the table or with the batch.
import test from 'ava';
import pg from 'pg';
import { noteJobId, statementConfig } from '../lib/services/database/preparedStatements.ts';
import { JobRunner } from '../lib/services/job/runner.ts';
import { CLAIM_ONE_QUEUE_ONE_TYPE } from '../lib/services/job/sql/claimJobs.ts';
import { FINISH_JOBS } from '../lib/services/job/sql/finishJobs.ts';
import { idsStatementName } from '../lib/services/job/sql/jobRow.ts';
import { makeOopsFiler } from '../lib/services/oops/filer.ts';
import { ListLogger } from '../lib/services/scripts/logger.ts';
import { IDeclaredScriptedJobSource, ScriptedJob } from './helpers/scriptedJob.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'claimStatement');

const CLAIM_NAME = 'jobsystem_claim_jobs_of_queue_type';
/** The claim's parameters: job type, limit, lease ms, owner, run start, queue. */
const claimValues = (owner: string) => ['ScriptedJob', 10, 60_000, owner, null, 'default'];

async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: db().url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

test.serial.afterEach.always(async () => {
  await db().admin.query('DELETE FROM job');
});

test.serial('plans are made again each time the largest job id seen doubles past 1,000', (t) => {
  // The first test of its file's process: nothing has noted an id yet.
  const name = (target: object) => statementConfig(target, CLAIM_NAME, 'SELECT 1', []).name;
  const target = {};
  t.is(name(target), CLAIM_NAME);
  noteJobId(999);
  t.is(name(target), CLAIM_NAME);
  noteJobId(1000);
  t.is(name(target), `${CLAIM_NAME}_1`);
  noteJobId(1999);
  t.is(name(target), `${CLAIM_NAME}_1`);
  noteJobId(2000);
  t.is(name(target), `${CLAIM_NAME}_2`);
  // Ids seen later that are smaller (another queue's, a pruned table's) change nothing.
  noteJobId(1500);
  t.is(name(target), `${CLAIM_NAME}_2`);
  noteJobId(1_000_000_000);
  t.is(name(target), `${CLAIM_NAME}_20`);
});

test.serial("a claim prepared on an empty table reads the whole table once it has grown; the claim prepared again reads the primary key", async (t) => {
  await db().admin.query('ALTER TABLE job SET (autovacuum_enabled = false)');
  try {
    await db().admin.query('VACUUM ANALYZE job');
    await withClient(async (client) => {
      // Prepared and run on the empty table until PostgreSQL keeps its generic plan.
      const early = `${CLAIM_NAME}_test_early`;
      for (let i = 0; i < 8; i++) await client.query({ name: early, text: CLAIM_ONE_QUEUE_ONE_TYPE, values: claimValues('test:1') });
      // The table grows (history in another queue), and nothing analyzes it.
      await client.query("INSERT INTO job (job_type, status, json_data, queue_name) SELECT 'ScriptedJob', 'COMPLETED', '{}', 'history' FROM generate_series(1, 3000)");
      await ScriptedJob.create(db().admin.manager, { action: 'succeed' });
      const explain = async (name: string) => (await client.query(`EXPLAIN EXECUTE ${name}('ScriptedJob', 10, 60000, 'test:1', NULL, 'default')`)).rows.map((row: { 'QUERY PLAN': string }) => row['QUERY PLAN']).join('\n');
      const stale = await explain(early);
      t.log(stale);
      t.regex(stale, /Seq Scan on job\b(?! ahead| holder)/);
      // What noteJobId does once the claims' ids have grown: a new name, a new plan.
      const late = `${CLAIM_NAME}_test_late`;
      await client.query({ name: late, text: CLAIM_ONE_QUEUE_ONE_TYPE, values: claimValues('test:2') });
      const fresh = await explain(late);
      t.log(fresh);
      t.regex(fresh, /(Index Scan using|Bitmap Index Scan on) job_pkey\b/);
      t.notRegex(fresh, /Seq Scan on job\b(?! ahead| holder)/);
    });
  } finally {
    await db().admin.query('ALTER TABLE job RESET (autovacuum_enabled)');
  }
});

test.serial("a batch's claim finds its rows by primary key in the plan kept for every later run, and its finish is planned for its ids", async (t) => {
  // 20,000 ready jobs and 20,000 finished ones, analyzed: a table where a join over the whole
  // table looks cheap to the planner next to 2,000 index probes, and where its statistics show
  // no running job.
  await db().admin.query("INSERT INTO job (job_type, status, json_data) SELECT 'ScriptedJob', CASE WHEN g % 2 = 0 THEN 'WAITING' ELSE 'COMPLETED' END, '{}' FROM generate_series(1, 40000) g");
  await db().admin.query('ANALYZE job');
  await withClient(async (client) => {
    await client.query('SET plan_cache_mode = force_generic_plan');
    const plan = async (sql: string) => (await client.query(`EXPLAIN ${sql}`)).rows.map((row: { 'QUERY PLAN': string }) => row['QUERY PLAN']).join('\n');
    await client.query(`PREPARE test_claim AS ${CLAIM_ONE_QUEUE_ONE_TYPE}`);
    const claim = await plan("EXECUTE test_claim('ScriptedJob', 2000, 60000, 'test:4', NULL, 'default')");
    t.log(claim);
    t.regex(claim, /job_pkey/);
    t.notRegex(claim, /Seq Scan on job\b(?! ahead| holder)|Hash Join/);
    // The finish of a batch of 2,000 as runStatement sends it (unnamed: planned for its ids),
    // its plan as the server ran it (auto_explain, as notices): the array is a constant the
    // plan can hash, or read through the primary key, never `id = ANY($1)` compared with every
    // running row, which is what a kept plan of the named statement does.
    const ids = Array.from({ length: 2000 }, (_, i) => 2 * i + 2);
    t.is(idsStatementName('jobsystem_finish_jobs', ids), null);
    t.is(idsStatementName('jobsystem_finish_jobs', [1, 2]), 'jobsystem_finish_jobs');
    await client.query('RESET plan_cache_mode');
    await client.query("LOAD 'auto_explain'");
    await client.query('SET auto_explain.log_min_duration = 0');
    await client.query('SET auto_explain.log_level = notice');
    const ranPlan = async (name: string | null) => {
      const notices: string[] = [];
      const listener = (notice: { message?: string }) => notices.push(notice.message ?? '');
      client.on('notice', listener);
      try {
        await client.query(statementConfig(client, name, FINISH_JOBS, [`{${ids.join(',')}}`, 'test:4', 'COMPLETED']));
      } finally {
        client.off('notice', listener);
      }
      return notices.join('\n');
    };
    const finish = await ranPlan(idsStatementName('jobsystem_finish_jobs', ids));
    t.log(finish);
    t.regex(finish, /Update on job/);
    t.notRegex(finish, /id = ANY \(\$1/);
    t.regex(finish, /job_pkey|id = ANY \('\{2,4,6,/);
    t.notRegex(finish, /Seq Scan on job\b/);
    await client.query('SET plan_cache_mode = force_generic_plan');
    t.regex(await ranPlan('test_finish_named'), /id = ANY \(\$1/);
  });
});

test.serial('the claim commits with synchronous_commit off for itself alone: the connection, and the job after it, keep it on', async (t) => {
  await withClient(async (client) => {
    await ScriptedJob.create(db().admin.manager, { action: 'succeed' });
    const { rows } = await client.query({ text: CLAIM_ONE_QUEUE_ONE_TYPE, values: claimValues('test:3') });
    t.is(rows.length, 1);
    t.is(rows[0].claim_commit, 'off');
    t.is((await client.query('SHOW synchronous_commit')).rows[0].synchronous_commit, 'on');
  });
  // A batch claimed with START TRANSACTION written behind the claim (the quick jobs' way):
  // the job's transaction, which commits its writes, waits for its WAL.
  const record = "UPDATE job SET log = current_setting('synchronous_commit') WHERE id = $1";
  const job = await ScriptedJob.create(db().admin.manager, { action: 'sql', sql: [record] });
  const runner = new JobRunner({ dataSource: db().admin, logger: new ListLogger(), fileOops: makeOopsFiler({ errorDir: db().errorDir, reporter: 'TEST-cs' }), quickJobMs: Infinity, housekeeping: false });
  await runner.runAllFromSource(await IDeclaredScriptedJobSource.load());
  t.is(runner.completedCount, 1);
  const [row] = await db().admin.query('SELECT status, log FROM job WHERE id = $1', [job.job.id]);
  t.deepEqual(row, { status: 'COMPLETED', log: 'on' });
});
