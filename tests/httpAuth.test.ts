// The jobs API's bearer tokens: how they are configured, compared and enforced on every route.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import test from 'ava';
import { loadConfig } from '../lib/services/config/loadConfig.ts';
import { readApiConfig } from '../lib/services/http/apiConfig.ts';
import { bearerToken, loadApiTokens, makeApiToken, matchToken } from '../lib/services/http/apiTokens.ts';
import { makeJob } from './helpers/factory.ts';
import { makeTestApi, type TestApi } from './helpers/apiServer.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'httpauth');
let api: TestApi;

test.serial.before(async () => {
  api = await makeTestApi(db(), { bodyLimit: 1024 });
});

test.after.always(async () => {
  await api?.app.close();
});

test('matchToken compares SHA-256 digests of equal length with timingSafeEqual, every configured token each time', (t) => {
  const tokens = [makeApiToken('a', 'admin', 'a'.repeat(40)), makeApiToken('b', 'read-only', 'b'.repeat(16)), makeApiToken('c', 'read-only', 'c'.repeat(64))];
  const calls: Array<[number, number]> = [];
  const counting = (x: Buffer, y: Buffer) => {
    calls.push([x.length, y.length]);
    return timingSafeEqual(x, y);
  };
  t.is(matchToken('b'.repeat(16), tokens, counting)?.name, 'b');
  t.is(matchToken('a'.repeat(40), tokens, counting)?.name, 'a');
  // Shorter, longer, a prefix, empty: no match, and no RangeError from unequal lengths.
  for (const wrong of ['b'.repeat(15), 'b'.repeat(17), 'a'.repeat(39), '', 'c'.repeat(64) + 'x']) t.is(matchToken(wrong, tokens, counting), undefined);
  // 7 lookups x 3 tokens: every token compared every time (no early exit on a match), 32 bytes each.
  t.is(calls.length, 21);
  t.true(calls.every(([x, y]) => x === 32 && y === 32));
});

test('bearerToken reads "Bearer <token>" only', (t) => {
  t.is(bearerToken('Bearer abc.DEF-123'), 'abc.DEF-123');
  t.is(bearerToken('bearer   xyz'), 'xyz');
  t.is(bearerToken('Basic dXNlcjpwYXNz'), undefined);
  t.is(bearerToken('Bearer'), undefined);
  t.is(bearerToken('Bearer a b'), undefined);
  t.is(bearerToken(undefined), undefined);
});

test('tokens are read from files and environment variables; bad entries are one line that never shows a token', (t) => {
  const dir = join(db().dir, 'tokens');
  mkdirSync(dir, { recursive: true });
  const fileToken = 'f1le-t0ken-0123456789abcdef';
  writeFileSync(join(dir, 'ops.token'), `${fileToken}\n`);
  const envToken = 'env-t0ken-0123456789abcdef';
  const tokens = loadApiTokens([`ops:admin:file:${join(dir, 'ops.token')}`, 'grafana:read-only:env:GRAFANA_TOKEN'], { GRAFANA_TOKEN: envToken });
  t.deepEqual(tokens.map(({ name, scope }) => [name, scope]), [['ops', 'admin'], ['grafana', 'read-only']]);
  t.is(matchToken(fileToken, tokens)?.name, 'ops');
  t.is(matchToken(envToken, tokens)?.name, 'grafana');

  const short = 'short-token-15c';
  const refusals: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
    [[], {}, /tokens is empty/],
    [['ops:root:env:T'], { T: envToken }, /scope must be read-only or admin, not 'root'/],
    [['ops:admin:env:T'], {}, /environment variable T is not set/],
    [['ops:admin:env:T'], { T: short }, /shorter than 16 characters/],
    [['ops:admin:file:/nonexistent/ops.token'], {}, /cannot read the token file .* \(ENOENT\)/],
    [['ops:admin:env:T', 'ops:read-only:env:U'], { T: envToken, U: fileToken }, /the name ops is used twice/],
    [['ops:admin:env:T', 'bob:read-only:env:U'], { T: envToken, U: envToken }, /same token/],
    [['ops admin'], {}, /is not NAME:SCOPE:SOURCE/],
    [['ops:admin:vault:x'], {}, /env:VARIABLE or file:\/path/],
  ];
  for (const [specs, env, message] of refusals) {
    const error = t.throws(() => loadApiTokens(specs, env));
    t.regex(error!.message, message);
    t.false(error!.message.includes(envToken) || error!.message.includes(short) || error!.message.includes(fileToken), error!.message);
  }
});

test('the server listens on 127.0.0.1 unless told otherwise', (t) => {
  const file = join(db().dir, 'api.ini');
  writeFileSync(file, `[meta]\nextends: ${db().configFile}\n\n[jobs_api]\ntokens: ops:admin:env:OPS_TOKEN\n`);
  const config = readApiConfig(loadConfig(file), { OPS_TOKEN: 'a-token-of-some-length' });
  t.is(config.host, '127.0.0.1');
  t.deepEqual(config.tokens.map((token) => token.name), ['ops']);
});

test('no token, or a wrong one, is 401 with WWW-Authenticate; the token is not echoed', async (t) => {
  for (const headers of [{}, { authorization: `Bearer ${api.adminToken}x` }, { authorization: `Basic ${Buffer.from(`ops:${api.adminToken}`).toString('base64')}` }]) {
    for (const [method, url] of [['GET', '/jobs'], ['GET', '/metrics'], ['GET', '/status/fragment'], ['POST', '/jobs/1/retry'], ['GET', '/no/such/route']] as const) {
      const response = await api.app.inject({ method, url, headers });
      t.is(response.statusCode, 401, `${method} ${url}`);
      t.is(response.headers['www-authenticate'], 'Bearer realm="jobsystem"');
      t.false(response.body.includes(api.adminToken));
    }
  }
});

test('a read-only token reads but is 403 on every admin route; an admin token passes', async (t) => {
  const job = await makeJob(db().admin.manager, { status: 'FAILED' });
  t.is((await api.app.inject({ url: '/jobs', headers: api.asReader })).statusCode, 200);
  t.is((await api.app.inject({ url: `/jobs/${job.id}`, headers: api.asReader })).statusCode, 200);
  const adminRoutes: Array<[string, unknown]> = [
    [`/jobs/${job.id}/retry`, {}], [`/jobs/${job.id}/suspend`, {}], [`/jobs/${job.id}/resume`, {}], [`/jobs/${job.id}/cancel`, {}],
    ['/prune', { olderThan: '3650d' }], ['/oops/prune', { olderThan: '3650d' }], ['/jobs', { name: 'import_cats' }],
  ];
  for (const [url, payload] of adminRoutes) {
    const response = await api.app.inject({ method: 'POST', url, headers: api.asReader, payload: payload as object });
    t.is(response.statusCode, 403, url);
    t.regex(response.json().message, /needs an admin token; grafana is read-only/);
  }
  t.is((await db().admin.query('SELECT status FROM job WHERE id = $1', [job.id]))[0].status, 'FAILED', 'nothing changed');
  const retried = await api.app.inject({ method: 'POST', url: `/jobs/${job.id}/retry`, headers: api.asAdmin });
  t.is(retried.statusCode, 200);
  t.is(retried.json().job.status, 'WAITING');
});

test('the page shell and /openapi.json need no token; an unknown route is 404 to a valid token', async (t) => {
  for (const url of ['/', '/status.js', '/status.css', '/openapi.json']) t.is((await api.app.inject({ url })).statusCode, 200, url);
  t.is((await api.app.inject({ url: '/no/such/route', headers: api.asReader })).statusCode, 404);
});

test('a body over body_limit is 413 and changes nothing', async (t) => {
  const job = await makeJob(db().admin.manager, { status: 'WAITING' });
  const response = await api.app.inject({ method: 'POST', url: `/jobs/${job.id}/cancel`, headers: api.asAdmin, payload: { reason: 'x'.repeat(2000) } });
  t.is(response.statusCode, 413);
  t.is((await db().admin.query('SELECT status FROM job WHERE id = $1', [job.id]))[0].status, 'WAITING');
});

test('requests that do not match their schema are 400 and change nothing', async (t) => {
  const job = await makeJob(db().admin.manager, { status: 'WAITING' });
  const cases: Array<{ method: 'GET' | 'POST'; url: string; payload?: object }> = [
    { method: 'GET', url: '/jobs?limit=0' },
    { method: 'GET', url: '/jobs?limit=100000' },
    { method: 'GET', url: '/jobs?order=sideways' },
    { method: 'GET', url: '/jobs?colour=red' },
    { method: 'GET', url: '/jobs/abc' },
    { method: 'GET', url: '/oops/..%2F..%2Fetc%2Fpasswd' },
    { method: 'POST', url: `/jobs/${job.id}/cancel`, payload: { reason: 'ok', extra: 1 } },
    { method: 'POST', url: `/jobs/${job.id}/cancel`, payload: { reason: '' } },
    { method: 'POST', url: '/prune', payload: { olderThan: 'a while' } },
    { method: 'POST', url: '/prune', payload: {} },
  ];
  for (const { method, url, payload } of cases) {
    const response = await api.app.inject({ method, url, headers: api.asAdmin, ...(payload ? { payload } : {}) });
    t.is(response.statusCode, 400, `${method} ${url}: ${response.body}`);
    t.is(response.json().error, 'Bad Request');
  }
  t.is((await db().admin.query('SELECT status FROM job WHERE id = $1', [job.id]))[0].status, 'WAITING');
});

test('a real listen on 127.0.0.1:0 answers over TCP', async (t) => {
  const listening = await makeTestApi(db());
  try {
    const address = await listening.app.listen({ host: '127.0.0.1', port: 0 });
    t.regex(address, /^http:\/\/127\.0\.0\.1:\d+$/);
    t.is((await fetch(`${address}/jobs`)).status, 401);
    t.is((await fetch(`${address}/jobs`, { headers: listening.asReader })).status, 200);
  } finally {
    await listening.app.close();
  }
});
