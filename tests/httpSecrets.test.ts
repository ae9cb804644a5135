// No secret leaves the jobs API: neither a bearer token nor the database password appears in
// any answer (bodies and headers, errors included), in the page, or in the server's log, even
// on requests that carry the token in the wrong place or end in a database error.
import { randomBytes } from 'node:crypto';
import test from 'ava';
import type { DataSource } from 'typeorm';
import { openDataSource } from '../lib/services/database/dataSource.ts';
import { makeJob } from './helpers/factory.ts';
import { makeTestApi, type TestApi } from './helpers/apiServer.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'httpsecrets');
const role = `api_login_${randomBytes(4).toString('hex')}`;
const password = `db-pass-${randomBytes(12).toString('hex')}`;
let dataSource: DataSource;
let api: TestApi;

test.serial.before(async () => {
  // A login of its own with a password, allowed to read job and nothing else: reads work, and
  // a change or a read of admin_log fails inside the server (a 500 that must not say why).
  await db().admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
  await db().admin.query(`GRANT SELECT ON job TO ${role}`);
  const url = new URL(db().url);
  url.username = role;
  url.password = password;
  dataSource = await openDataSource(url.toString(), { poolSize: 2 });
  api = await makeTestApi(db(), { dataSource });
});

test.after.always(async () => {
  await api?.app.close();
  await dataSource?.destroy().catch(() => undefined);
  await db().admin.query(`DROP OWNED BY ${role}`).catch(() => undefined);
  await db().admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
});

test.serial('no answer, page or log line holds a token or the database password', async (t) => {
  const failed = await makeJob(db().admin.manager, { status: 'FAILED' });
  const everything: string[] = [];
  const statuses: number[] = [];
  const requests: Array<{ method: 'GET' | 'POST'; url: string; headers?: Record<string, string>; payload?: object }> = [
    { method: 'GET', url: '/' },
    { method: 'GET', url: '/status.js' },
    { method: 'GET', url: '/openapi.json' },
    { method: 'GET', url: '/status/fragment', headers: api.asAdmin },
    { method: 'GET', url: '/metrics', headers: api.asReader },
    { method: 'GET', url: '/jobs', headers: api.asReader },
    { method: 'GET', url: `/jobs/${failed.id}`, headers: api.asReader },
    { method: 'GET', url: '/oops', headers: api.asReader },
    { method: 'GET', url: '/job-types/unserved', headers: api.asReader },
    { method: 'POST', url: `/jobs/${failed.id}/retry`, headers: api.asAdmin, payload: {} },
    { method: 'POST', url: '/jobs', headers: api.asAdmin, payload: { name: 'import_cats' } },
    { method: 'GET', url: `/jobs?token=${api.adminToken}`, headers: api.asReader },
    { method: 'GET', url: `/jobs?password=${password}`, headers: api.asReader },
    { method: 'GET', url: '/jobs', headers: { authorization: `Bearer ${api.adminToken}0` } },
    { method: 'POST', url: `/jobs/${failed.id}/retry`, headers: api.asReader, payload: { token: api.readOnlyToken } },
    { method: 'GET', url: `/no/such/${api.adminToken}`, headers: api.asReader },
  ];
  for (const request of requests) {
    const response = await api.app.inject({ method: request.method, url: request.url, headers: request.headers ?? {}, ...(request.payload ? { payload: request.payload } : {}) });
    statuses.push(response.statusCode);
    everything.push(`${request.method} ${request.url.replace(api.adminToken, '<t>').replace(password, '<p>')} ${response.statusCode}\n${JSON.stringify(response.headers)}\n${response.body}`);
    if (response.statusCode === 500) t.deepEqual(response.json(), { error: 'Internal Server Error', message: 'the server failed; its log says why' });
  }
  t.true(statuses.includes(200) && statuses.includes(400) && statuses.includes(401) && statuses.includes(403) && statuses.includes(404) && statuses.includes(500), statuses.join(' '));
  t.true(api.logger.lines.some((line) => /^ERROR POST \/jobs\/\d+\/retry failed: .*permission denied/.test(line)), 'the failure is logged for the operator');
  everything.push(...api.logger.lines);
  const text = everything.join('\n');
  for (const secret of [api.adminToken, api.readOnlyToken, password]) t.false(text.includes(secret), `a secret leaked:\n${text.split('\n').filter((line) => line.includes(secret)).join('\n')}`);
});
