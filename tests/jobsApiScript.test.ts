// cronscripts/jobs-api.ts as a real process: --help, bad config refused in one line, and a
// server that answers, then stops on SIGTERM with exit 143 and leaves no database connection.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { fromRoot } from '../lib/services/paths.ts';
import { runScript } from './helpers/runScript.ts';
import { waitFor } from './helpers/scriptedSection.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'jobsapiscript');
const TOKEN = 'script-test-token-0123456789abcdef';

function configWith(jobsApi: string): string {
  const file = join(db().dir, `api-${Math.random().toString(36).slice(2)}.ini`);
  writeFileSync(file, `[meta]\nextends: ${db().configFile}\n\n[jobs_api]\n${jobsApi}\n`);
  return file;
}

test('--help names the usage, the environment and the exit statuses', async (t) => {
  const result = await runScript('cronscripts/jobs-api.ts', ['--help']);
  t.is(result.code, 0);
  t.regex(result.stdout, /jobs-api \[--host HOST\] \[--port PORT\]/);
  t.regex(result.stdout, /JOBS_CONFIG/);
  t.regex(result.stdout, /DATABASE_URL/);
  t.regex(result.stdout, /143 +stopped by SIGTERM/);
});

test('a config without tokens, or a token that cannot be read, is one line and exit 2', async (t) => {
  for (const [config, message] of [
    [configWith('port: 0'), /^ERROR   jobs-api: \[jobs_api\] tokens is empty/],
    [configWith('tokens: ops:admin:env:JOBS_API_TEST_UNSET'), /^ERROR   jobs-api: \[jobs_api\] tokens: ops: the environment variable JOBS_API_TEST_UNSET is not set or empty$/],
  ] as const) {
    const result = await runScript('cronscripts/jobs-api.ts', [], { env: { JOBS_CONFIG: config } });
    t.is(result.code, 2);
    t.is(result.stderr.trim().split('\n').length, 1, result.stderr);
    t.regex(result.stderr.trim(), message);
  }
});

test('the server answers on 127.0.0.1, and SIGTERM stops it with exit 143 and its connections closed', async (t) => {
  const config = configWith('port: 0\ntokens: ops:admin:env:JOBS_API_TEST_TOKEN');
  const env: NodeJS.ProcessEnv = { ...process.env, JOBS_CONFIG: config, JOBS_API_TEST_TOKEN: TOKEN };
  delete env.DATABASE_URL;
  const child = spawn(fromRoot('cronscripts/jobs-api.ts'), [], { cwd: '/', env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  try {
    const address = await waitFor('the listening line', async () => /Jobs API listening on (http:\/\/127\.0\.0\.1:\d+) \(ops: admin\)\./.exec(output)?.[1]);
    const response = await fetch(`${address}/jobs`, { headers: { authorization: `Bearer ${TOKEN}` } });
    t.is(response.status, 200);
    const connections = async () => Number((await db().admin.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'jobsystem jobs-api'`, [db().name]))[0].n);
    t.true((await connections()) > 0);
    child.kill('SIGTERM');
    t.is(await exited, 143);
    await waitFor('the server connections to close', async () => (await connections()) === 0);
    t.regex(output, /Received SIGTERM: finishing the requests in flight, then stopping\.\n.*Jobs API stopped\./);
    t.false(output.includes(TOKEN));
  } finally {
    child.kill('SIGKILL');
  }
});

test('a port already in use is one line and exit 2, with no OOPS report', async (t) => {
  const { createServer } = await import('node:net');
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as { port: number }).port;
  try {
    const config = configWith('tokens: ops:admin:env:JOBS_API_TEST_TOKEN');
    const result = await runScript('cronscripts/jobs-api.ts', ['--port', String(port)], { env: { JOBS_CONFIG: config, JOBS_API_TEST_TOKEN: TOKEN } });
    t.is(result.code, 2, result.stderr);
    t.is(result.stderr.trim().split('\n').length, 1, result.stderr);
    t.is(result.stderr.trim(), `ERROR   jobs-api: cannot listen on 127.0.0.1:${port}: the port is in use (another server is listening there); choose another with --port or [jobs_api] port (see --help)`);
    t.notRegex(result.stdout + result.stderr, /OOPS/);
  } finally {
    await new Promise((resolve) => taken.close(resolve));
  }
});
