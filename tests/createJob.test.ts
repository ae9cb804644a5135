// cronscripts/create_job.ts as a process, and the import_cats example run by run_jobs.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { reloadJob } from './helpers/factory.ts';
import { runScript } from './helpers/runScript.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'createjob');

test.serial.afterEach.always(async () => {
  await db().admin.query('DELETE FROM job');
});

function createJob(args: string[]) {
  return runScript('cronscripts/create_job.ts', args, { env: { JOBS_CONFIG: db().configFile } });
}

async function jobCount(): Promise<number> {
  const [{ count }] = (await db().admin.query('SELECT count(*)::integer AS count FROM job')) as Array<{ count: number }>;
  return count;
}

/** The test config with [import_cats] serving the queue `cats` beside default. */
function catsQueueConfig(): string {
  const file = join(db().dir, 'cats-queue.ini');
  writeFileSync(file, ['[meta]', `extends: ${db().configFile}`, '', '[import_cats]', 'queues: default, cats', ''].join('\n'));
  return file;
}

test.serial('create_job prints the new job\'s id, stores the workspace and queue, and runs the creation hook', async (t) => {
  const result = await runScript('cronscripts/create_job.ts', ['import_cats', '--queue_name', 'cats', '--workspace', '{"names": ["tom", " Felix "]}'], { env: { JOBS_CONFIG: catsQueueConfig() } });
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /^\d+\n$/);
  const id = Number(result.stdout.trim());
  const job = await reloadJob(db().admin.manager, id);
  t.like(job, { jobType: 'import_cats', status: 'WAITING', step: 0, queueName: 'cats' });
  t.deepEqual(job.workspace, { names: ['tom', ' Felix '], request: `import_cats job ${id}` });
  t.true(result.stderr.includes(`INFO    Created import_cats job ${id} in queue cats: NEW at step 1 of 3; run_jobs.ts import_cats runs it.`), result.stderr);
});

test.serial('without --workspace the workspace is {} (plus what the creation hook adds) and the queue is default', async (t) => {
  const result = await createJob(['import_cats']);
  t.is(result.code, 0, result.stderr);
  const job = await reloadJob(db().admin.manager, Number(result.stdout.trim()));
  t.is(job.queueName, 'default');
  t.deepEqual(job.workspace, { request: `import_cats job ${job.id}` });
});

test.serial('--not-before holds the job back until that time: a delay from now, or an ISO 8601 time with its zone', async (t) => {
  const before = Date.now();
  const delayed = await createJob(['import_cats', '--not-before', '2h', '--priority', '-3']);
  t.is(delayed.code, 0, delayed.stderr);
  const job = await reloadJob(db().admin.manager, Number(delayed.stdout.trim()));
  t.is(job.priority, -3);
  const start = job.scheduledStart!.getTime();
  t.true(start >= before + 2 * 3_600_000 && start <= Date.now() + 2 * 3_600_000, String(job.scheduledStart));
  const run = await runScript('cronscripts/run_jobs.ts', ['import_cats'], { env: { JOBS_CONFIG: db().configFile } });
  t.is(run.code, 0, run.stderr);
  t.like(await reloadJob(db().admin.manager, job.id), { status: 'WAITING', step: 0, attemptCount: 0 });

  const at = await createJob(['import_cats', '--not-before', '2030-01-02T03:04:05+01:00']);
  t.is(at.code, 0, at.stderr);
  t.is((await reloadJob(db().admin.manager, Number(at.stdout.trim()))).scheduledStart!.toISOString(), '2030-01-02T02:04:05.000Z');
});

const BAD_INPUTS: Array<[string, string[], RegExp]> = [
  ['malformed JSON', ['import_cats', '--workspace', '{"names": '], /^ERROR   create_job: --workspace is not valid JSON: .* \(see --help\)\n$/],
  ['a JSON array', ['import_cats', '--workspace', '[1, 2]'], /^ERROR   create_job: --workspace must be a JSON object such as '\{"key": "value"\}', not an array \(see --help\)\n$/],
  ['JSON null', ['import_cats', '--workspace', 'null'], /^ERROR   create_job: --workspace must be a JSON object .*, not null \(see --help\)\n$/],
  ['a JSON string', ['import_cats', '--workspace', '"cats"'], /^ERROR   create_job: --workspace must be a JSON object .*, not string \(see --help\)\n$/],
  ['no job name', [], /^ERROR   create_job: name the job to create; known job names: import_cats \(see --help\)\n$/],
  ['an unknown job name', ['import_dogs'], /^ERROR   create_job: unknown job name 'import_dogs'; known job names: import_cats \(see --help\)\n$/],
  ['two job names', ['import_cats', 'import_cats'], /^ERROR   create_job: name one job only \(see --help\)\n$/],
  ['an empty queue name', ['import_cats', '--queue_name', ''], /^ERROR   create_job: --queue_name must not be empty \(see --help\)\n$/],
  ['a priority that is not an integer', ['import_cats', '--priority', '1.5'], /^ERROR   create_job: --priority: '1.5' is not an integer \(see --help\)\n$/],
  ['a priority that is no number', ['import_cats', '--priority', 'high'], /^ERROR   create_job: --priority: 'high' is not an integer \(see --help\)\n$/],
  ['a priority out of range', ['import_cats', '--priority', '99999999999'], /^ERROR   create_job: --priority: 99999999999 is out of range \(-2147483648 to 2147483647\) \(see --help\)\n$/],
  ['a queue no job section serves', ['import_cats', '--queue_name', 'nosuch'], /^ERROR   create_job: no job section runs import_cats jobs in queue 'nosuch' \(\[import_cats\] serves default\); add the queue to a section's queues key, or name a served one \(see --help\)\n$/],
  ['a workspace of the wrong shape for its schema', ['import_cats', '--workspace', '{"names": 5}'], /^ERROR   create_job: the workspace does not match the workspace schema of import_cats: \/names must be array \(see --help\)\n$/],
  ['a workspace with a key its schema does not allow', ['import_cats', '--workspace', '{"nmes": ["Bob"]}'], /^ERROR   create_job: the workspace does not match the workspace schema of import_cats: the workspace must NOT have additional properties \('nmes'\) \(see --help\)\n$/],
  ['a time without its zone', ['import_cats', '--not-before', '2026-12-01T02:00:00'], /^ERROR   create_job: --not-before: '2026-12-01T02:00:00' is neither an ISO 8601 time with its zone .* nor a delay such as 10m \(see --help\)\n$/],
  ['a time that is no time', ['import_cats', '--not-before', 'tomorrow'], /^ERROR   create_job: --not-before: 'tomorrow' is neither .*\(see --help\)\n$/],
];

for (const [what, args, message] of BAD_INPUTS) {
  test.serial(`create_job refuses ${what} with one line and exit status 2, writing nothing`, async (t) => {
    const result = await createJob(args);
    t.is(result.code, 2, result.stderr);
    t.regex(result.stderr, message);
    t.is(result.stdout, '');
    t.is(await jobCount(), 0);
  });
}

test.serial('create_job --help names the arguments and the exit statuses', async (t) => {
  const result = await createJob(['--help']);
  t.is(result.code, 0);
  t.true(result.stdout.includes('create_job <job_name> [--queue_name Q] [--priority N] [--workspace JSON]'));
  t.true(result.stdout.includes('--workspace'));
  t.regex(result.stdout, /Exit status/);
});

test.serial('an import_cats job created by create_job is run by run_jobs import_cats one step per run, to COMPLETED', async (t) => {
  const created = await createJob(['import_cats', '--workspace', '{"names": ["tom", " Felix ", "TOM"]}']);
  t.is(created.code, 0, created.stderr);
  const id = Number(created.stdout.trim());
  const states: string[] = [];
  for (let run = 1; run <= 3; run++) {
    const result = await runScript('cronscripts/run_jobs.ts', ['import_cats'], { env: { JOBS_CONFIG: db().configFile } });
    t.is(result.code, 0, result.stderr);
    t.true(result.stderr.includes('INFO    Ran 1 import_cats jobs.'), result.stderr);
    const [{ state }] = (await db().admin.query('SELECT state FROM job_state WHERE id = $1', [id])) as Array<{ state: string }>;
    states.push(state);
  }
  t.deepEqual(states, ['READY', 'READY', 'COMPLETED']);
  const job = await reloadJob(db().admin.manager, id);
  t.like(job, { status: 'COMPLETED', step: 3 });
  t.like(job.workspace, { fetched: ['tom', ' Felix ', 'TOM'], cleaned: ['Tom', 'Felix'], imported: 2 });
  const idle = await runScript('cronscripts/run_jobs.ts', ['import_cats'], { env: { JOBS_CONFIG: db().configFile } });
  t.true(idle.stderr.includes('INFO    Ran 0 import_cats jobs.'), idle.stderr);
});

/** A config with a job section that names its tasks (and creation hook) in the ini file. */
function iniTasksConfig(tasks: string): string {
  const file = join(db().dir, 'ini-tasks.ini');
  writeFileSync(file, [
    '[meta]', `extends: ${db().configFile}`, '',
    '[import_dogs]', 'link: job_runner', 'dbuser: postgres', `tasks: ${tasks}`, 'on_create: lib.component.cats.importCats.onCreate', '',
  ].join('\n'));
  return file;
}

test.serial('a job section may name its tasks in the ini file: the section is the job name, create_job and run_jobs run it', async (t) => {
  const steps = ['stepOne', 'stepTwo', 'stepThree'].map((name) => `lib.component.cats.importCats.${name}`).join(', ');
  const env = { JOBS_CONFIG: iniTasksConfig(steps) };
  const created = await runScript('cronscripts/create_job.ts', ['import_dogs', '--workspace', '{"names": ["rex", "Rex", "fido"]}'], { env });
  t.is(created.code, 0, created.stderr);
  const id = Number(created.stdout.trim());
  t.like(await reloadJob(db().admin.manager, id), { jobType: 'import_dogs', workspace: { names: ['rex', 'Rex', 'fido'], request: `import_cats job ${id}` } });
  for (let run = 1; run <= 3; run++) {
    const result = await runScript('cronscripts/run_jobs.ts', ['import_dogs'], { env });
    t.is(result.code, 0, result.stderr);
    t.true(result.stderr.includes('INFO    Ran 1 import_dogs jobs.'), result.stderr);
  }
  const job = await reloadJob(db().admin.manager, id);
  t.like(job, { status: 'COMPLETED', step: 3 });
  t.like(job.workspace, { cleaned: ['Rex', 'Fido'], imported: 2 });
});

test.serial('a task path in the ini file that names no function is one line and exit status 2', async (t) => {
  const env = { JOBS_CONFIG: iniTasksConfig('lib.component.cats.importCats.stepOne, lib.component.cats.importCats.noSuchStep') };
  await db().admin.query(`INSERT INTO job (job_type) VALUES ('import_dogs')`);
  const result = await runScript('cronscripts/run_jobs.ts', ['import_dogs'], { env });
  t.is(result.code, 2, result.stderr);
  t.is(result.stderr, "ERROR   run_jobs: [import_dogs] tasks: 'lib.component.cats.importCats.noSuchStep': module lib/component/cats/importCats.ts has no export 'noSuchStep'\n");
});
