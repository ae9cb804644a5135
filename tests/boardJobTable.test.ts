// A board job is a row of the one job table: the rest of the system sees it, and leaves it to
// the board's conductors. (A file of its own: pruning deletes every finished job of the database.)
import test from 'ava';
import { pruneJobs } from '../lib/services/admin/pruneJobs.ts';
import { JobBoard } from '../lib/services/board/jobBoard.ts';
import { BOARD_JOB_TYPE } from '../lib/services/board/sql/boardRow.ts';
import { FrozenClock } from '../lib/services/clock.ts';
import { loadConfig } from '../lib/services/config/loadConfig.ts';
import { withDatabaseClient } from '../lib/services/database/databaseClient.ts';
import { servedJobTypes, warnAboutUnservedJobs } from '../lib/services/job/unservedJobs.ts';
import { ListLogger } from '../lib/services/scripts/logger.ts';
import { makeJob } from './helpers/factory.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'boardjobtable');

async function openBoard(t: import('ava').ExecutionContext, name: string): Promise<JobBoard> {
  const board = new JobBoard(name, { url: db().url });
  t.teardown(() => board.close());
  await board.connect();
  return board;
}

test.serial('no section serves board jobs, and the unserved-jobs check does not flag them', async (t) => {
  const board = await openBoard(t, 'waiting-room');
  await board.post('patient');
  const orphan = await makeJob(db().admin.manager, { jobType: 'NoSectionRunsThisJob' });
  const config = loadConfig(db().configFile);
  t.false((await servedJobTypes(config)).types.includes(BOARD_JOB_TYPE));
  const logger = new ListLogger();
  t.is(await warnAboutUnservedJobs(config, logger), 1);
  t.is(logger.lines.length, 1);
  t.regex(logger.lines[0]!, new RegExp(`^WARNING 1 waiting job\\(s\\) of job_type NoSectionRunsThisJob, .* ids ${orphan.id}\\.`));
  await db().admin.query('DELETE FROM job WHERE id = $1', [orphan.id]);
});

test.serial('pruning old finished jobs deletes consumed board jobs and never a job still on the board', async (t) => {
  const board = await openBoard(t, 'history');
  const consumed = await board.post('done');
  const claimed = await board.post('held');
  const waiting = await board.post('waiting');
  await board.claim(consumed, 'alice');
  await board.consume(consumed, 'alice');
  await board.claim(claimed, 'alice');
  const result = await withDatabaseClient(db().url, (client) => pruneJobs(client, { olderThanMs: 0, clock: new FrozenClock(new Date(Date.now() + 3_600_000)) }));
  t.is(result.deleted, 1);
  const left = (await db().admin.query('SELECT id FROM job WHERE queue_name = $1 ORDER BY id', ['history'])) as Array<{ id: number }>;
  t.deepEqual(left.map((row) => Number(row.id)), [claimed.id, waiting.id]);
  t.is(await board.jobCount(), 2);
});

test.serial('a page of the board can be read from job__board__idx alone, whatever the history', async (t) => {
  // Sequential scans off: the question is whether the partial index answers the page query
  // (its predicate matches), which a table this small would not show by itself.
  const plan = await withDatabaseClient(db().url, async (client) => {
    await client.query('SET enable_seqscan = off');
    const result = await client.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT id FROM job WHERE job.job_type = 'BoardJob' AND job.queue_name = 'history' AND job.status IN ('WAITING', 'RUNNING') AND job.id > 0 ORDER BY job.id LIMIT 100`,
    );
    return result.rows.map((row) => row['QUERY PLAN']).join('\n');
  });
  t.regex(plan, /Index (Only )?Scan using job__board__idx/);
});
