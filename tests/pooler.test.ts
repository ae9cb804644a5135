// [database] pooler: what the database URL reaches, checked when a script starts.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ConfigError } from '../lib/services/config/errors.ts';
import { loadConfig } from '../lib/services/config/loadConfig.ts';
import { databasePooler } from '../lib/services/database/pooler.ts';
import { fromRoot } from '../lib/services/paths.ts';

const dir = mkdtempSync(join(tmpdir(), 'pooler-'));

function config(lines: string) {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.ini`);
  writeFileSync(file, `[meta]\nextends: ${fromRoot('config/schema.ini')}\n\n[database]\n${lines}\n`);
  return loadConfig(file);
}

test('pooler defaults to none: the server itself', (t) => {
  t.is(databasePooler(config('')), 'none');
});

test('pooler session and transaction are read as such', (t) => {
  t.is(databasePooler(config('pooler: session')), 'session');
  t.is(databasePooler(config('pooler: transaction')), 'transaction');
});

test('any other pooler is a config error naming the choices', (t) => {
  const loaded = config('pooler: statement');
  t.throws(() => databasePooler(loaded), { instanceOf: ConfigError, message: `[database] pooler in ${loaded.file} is 'statement': write none, session or transaction` });
});
