// The status page in a real browser: Debian's chromium, driven by playwright-core (which
// downloads no browser). A person types the token, sees the counts, the chart and the recent
// failures, opens an OOPS and clicks Retry; the job is WAITING again on the page and in the
// database. The screenshot is kept under var/test-artefacts/.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createOops } from '../lib/services/oops/report.ts';
import { writeOops } from '../lib/services/oops/store.ts';
import { fromRoot } from '../lib/services/paths.ts';
import { makeTestApi, type TestApi } from './helpers/apiServer.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const CHROMIUM = '/usr/bin/chromium';
/** Chromium's flags for a quiet, offline, throwaway run (headless comes from playwright). */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const ARTEFACTS = fromRoot('var/test-artefacts');

// Absent chromium is a skip on a developer's machine only: CI (.ci/run installs it) must run it.
const runnable = existsSync(CHROMIUM) || process.env.CI !== undefined;
const browserTest = runnable ? test.serial : test.serial.skip;
if (!runnable) test.serial.skip(`status page browser tests skipped: ${CHROMIUM} is not installed (apt-get install chromium; CI installs it)`, () => undefined);

const db = useTestDatabase(test, 'statuspage');
let api: TestApi;
let address: string;
let context: BrowserContext | undefined;
let userDataDir: string | undefined;
let failedId: number;
let waitingId: number;

test.serial.before(async () => {
  if (!runnable) return;
  const manager = db().admin.manager;
  const oops = createOops(new Error('the frobnicator is out of frobs'), { reporter: 'LOCAL-import_cats' });
  await writeOops(db().errorDir, oops);
  // An hour of history: completed jobs every minute, a few failures, jobs waiting in two queues.
  await manager.query(`INSERT INTO job (job_type, status, queue_name, date_created, date_started, date_finished, attempt_count)
    SELECT CASE WHEN n % 3 = 0 THEN 'import_cats' ELSE 'DoFooJob' END, 'COMPLETED', 'default',
      now() - (n || ' minutes')::interval - interval '5 seconds', now() - (n || ' minutes')::interval - interval '2 seconds', now() - (n || ' minutes')::interval, 1
    FROM generate_series(1, 58) AS n, LATERAL generate_series(1, 1 + (n * 7) % 5) AS k`);
  await manager.query(`INSERT INTO job (job_type, status, queue_name, date_created, date_finished, attempt_count, last_error)
    SELECT 'DoFooJob', 'FAILED', 'default', now() - (n * 7 || ' minutes')::interval, now() - (n * 7 || ' minutes')::interval, 1, 'KeyError: foo ' || n
    FROM generate_series(1, 4) AS n`);
  [{ id: failedId }] = await manager.query(`INSERT INTO job (job_type, status, queue_name, date_created, date_finished, attempt_count, last_error, last_oops)
    VALUES ('import_cats', 'FAILED', 'default', now() - interval '30 seconds', now(), 1, 'RuntimeError: the frobnicator is out of frobs', $1) RETURNING id`, [oops.id]);
  await manager.query(`INSERT INTO job (job_type, status, queue_name, date_created)
    SELECT 'DoFooJob', 'WAITING', CASE WHEN n % 2 = 0 THEN 'default' ELSE 'bulk' END, now() - (n * 40 || ' seconds')::interval FROM generate_series(1, 5) AS n`);
  [{ id: waitingId }] = await manager.query(`SELECT min(id) AS id FROM job WHERE status = 'WAITING'`);
  api = await makeTestApi(db());
  address = await api.app.listen({ host: '127.0.0.1', port: 0 });
  userDataDir = mkdtempSync(join(tmpdir(), 'jobsystem-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1200, height: 1100 } });
});

test.after.always(async () => {
  await context?.close().catch(() => undefined);
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await api?.app.close();
});

async function signIn(page: Page, token: string): Promise<void> {
  await page.goto(`${address}/`);
  await page.locator('#token').fill(token);
  await page.locator('#login button[type=submit]').click();
  await page.locator('#counts').waitFor();
}

browserTest('an admin sees the status, opens an OOPS, clicks Retry, and the job is WAITING on the page and in the database', async (t) => {
  const page = await context!.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
  });
  await page.goto(`${address}/`);
  t.true(await page.locator('#login').isVisible(), 'asks for a token first');
  await signIn(page, api.adminToken);
  t.false(await page.locator('#login').isVisible());
  t.is(await page.locator('[data-total="FAILED"]').textContent(), '5');
  t.is(await page.locator('[data-total="WAITING"]').textContent(), '5');
  t.regex(await page.locator('#oldest').textContent() ?? '', /bulk.*default/s);
  t.true((await page.locator('#throughput rect.completed').count()) >= 58);
  t.regex(await page.locator('#throughput').getAttribute('aria-label') ?? '', /^\d+ completed and 5 failed in the last hour$/);
  const row = page.locator(`#failures tr[data-job="${failedId}"]`);
  t.regex(await row.locator('td.error').textContent() ?? '', /^RuntimeError: the frobnicator is out of frobs$/);
  t.is(await page.locator(`#waiting button[data-action="cancel"][data-job="${waitingId}"]`).count(), 1);

  await row.locator('a[data-oops]').click();
  await page.locator('#oops-view').waitFor();
  t.regex(await page.locator('#oops-text').textContent() ?? '', /the frobnicator is out of frobs/);
  await page.locator('#oops-close').click();

  mkdirSync(ARTEFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTEFACTS, 'status-page.png'), fullPage: true });

  await row.locator('button[data-action="retry"]').click();
  await page.locator('#message', { hasText: `Job ${failedId}: retry done, now WAITING.` }).waitFor();
  await row.waitFor({ state: 'detached' });
  t.is(await page.locator('[data-total="FAILED"]').textContent(), '4');
  t.is(await page.locator('[data-total="WAITING"]').textContent(), '6');
  const [job] = await db().admin.query('SELECT status FROM job WHERE id = $1', [failedId]);
  t.is(job.status, 'WAITING');
  const [logged] = await db().admin.query(`SELECT operator, action FROM admin_log WHERE job = $1`, [failedId]);
  t.deepEqual(logged, { operator: 'api:ops', action: 'retry' });
  await page.screenshot({ path: join(ARTEFACTS, 'status-page-after-retry.png'), fullPage: true });
  // The token lives in the tab's sessionStorage, never in the page's markup.
  t.false((await page.content()).includes(api.adminToken));
  t.deepEqual(problems, []);
  await page.close();
});

browserTest('a read-only token sees no retry or cancel button; a wrong token is asked again', async (t) => {
  const page = await context!.newPage();
  await signIn(page, api.readOnlyToken);
  t.true((await page.locator('#failures tr[data-job]').count()) > 0);
  t.is(await page.locator('button[data-action]').count(), 0);
  await page.locator('#logout').click();
  await page.locator('#token').fill('not-the-token-at-all');
  await page.locator('#login button[type=submit]').click();
  await page.locator('#message', { hasText: 'That token was refused.' }).waitFor();
  t.true(await page.locator('#login').isVisible());
  t.is(await page.locator('#counts').count(), 0);
  await page.close();
});
