import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { createOops } from '../lib/services/oops/report.ts';
import { redactSecrets } from '../lib/services/oops/redact.ts';
import { listOops, oopsPath, readOops, writeOops } from '../lib/services/oops/store.ts';

test('an OOPS report has id, type, value, traceback, UTC time, hostname, reporter and vars', (t) => {
  const report = createOops(new RangeError('too far'), { reporter: 'LOCAL-do_foo', vars: [['foo_id', '7']], now: new Date('2026-11-23T18:00:00Z') });
  t.regex(report.id, /^OOPS-[0-9a-f]{12}$/);
  t.is(report.type, 'RangeError');
  t.is(report.value, 'too far');
  t.regex(report.traceback, /^RangeError: too far\n\s+at /);
  t.is(report.time, '2026-11-23T18:00:00.000Z');
  t.is(report.hostname, hostname());
  t.is(report.reporter, 'LOCAL-do_foo');
  t.deepEqual(report.req_vars, [['foo_id', '7']]);
});

test('a thrown non-Error still makes a report', (t) => {
  const report = createOops('just a string', { reporter: 'x' });
  t.is(report.type, 'Error');
  t.is(report.value, 'just a string');
});

test('reports are written to <error_dir>/YYYY-MM-DD/<id> and read back whole', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'oops-'));
  const report = createOops(new Error('boom'), { reporter: 'r', now: new Date('2026-11-23T23:59:59Z') });
  const path = await writeOops(dir, report);
  t.is(path, join(dir, '2026-11-23', report.id));
  t.is(path, oopsPath(dir, report));
  t.deepEqual(await readOops(path), report);
  t.deepEqual(await listOops(dir), [path]);
  // Written through a temporary file and a rename: no partial file is left beside it.
  t.deepEqual(readdirSync(join(dir, '2026-11-23')), [report.id]);
});

test('passwords in URLs and secret pairs are masked in every field', (t) => {
  const error = new Error('connect failed for postgres://app:hunter22@db.example.com:5432/app (password=hunter22)');
  const report = createOops(error, { reporter: 'r', vars: [['url', 'postgres://u:topsecret@h/db']] });
  const text = JSON.stringify(report);
  t.false(text.includes('hunter22'));
  t.false(text.includes('topsecret'));
  t.true(text.includes('postgres://app:***@db.example.com'));
});

test('redactSecrets leaves text without secrets alone', (t) => {
  t.is(redactSecrets('Ran 1 DoFooJob jobs.'), 'Ran 1 DoFooJob jobs.');
  t.is(redactSecrets('postgres://postgres@127.0.0.1:54329/x'), 'postgres://postgres@127.0.0.1:54329/x');
});

test('a report file is plain JSON an operator can read', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'oops-'));
  const path = await writeOops(dir, createOops(new Error('readable'), { reporter: 'r' }));
  const text = readFileSync(path, 'utf8');
  t.regex(text, /^\{\n {2}"id": "OOPS-/);
  t.regex(text, /"value": "readable"/);
});
