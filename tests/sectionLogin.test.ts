// How a section's run logs in: the URL it connects with and whether it sends SET ROLE.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ConfigError } from '../lib/services/config/errors.ts';
import { loadConfig } from '../lib/services/config/loadConfig.ts';
import { sectionLogin } from '../lib/services/database/sectionLogin.ts';
import { fromRoot } from '../lib/services/paths.ts';

const dir = mkdtempSync(join(tmpdir(), 'section-login-'));
const URL_OF_DB = 'postgres://app:urlsecret@db.example.com:5433/app';

function section(keys: string) {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.ini`);
  writeFileSync(file, `[meta]\nextends: ${fromRoot('config/schema.ini')}\n\n[s]\nlink: job_runner\nsource_interface: x.y.IZ\n${keys}\n`);
  return loadConfig(file).section('s');
}

test('by default the URL\'s user logs in and takes dbuser with SET ROLE', (t) => {
  t.deepEqual(sectionLogin(section('dbuser: dofoo'), URL_OF_DB, {}), { url: URL_OF_DB, role: 'dofoo' });
});

test('a URL whose user is dbuser sends no SET ROLE', (t) => {
  const url = 'postgres://dofoo@db.example.com/app';
  t.deepEqual(sectionLogin(section('dbuser: dofoo'), url, {}), { url, role: undefined });
});

test('dblogin equal to dbuser logs in as it, with the password from dbpassword_env, and sends no SET ROLE', (t) => {
  const login = sectionLogin(section('dbuser: dofoo\ndblogin: dofoo\ndbpassword_env: DOFOO_PW'), URL_OF_DB, { DOFOO_PW: 's3cret/:@' });
  t.is(login.role, undefined);
  const url = new URL(login.url);
  t.is(url.username, 'dofoo');
  t.is(decodeURIComponent(url.password), 's3cret/:@');
  t.is(url.host, 'db.example.com:5433');
  t.is(url.pathname, '/app');
});

test('a dblogin other than dbuser logs in as it, without the URL\'s password, and takes dbuser with SET ROLE', (t) => {
  const login = sectionLogin(section('dbuser: dofoo\ndblogin: dofoo_login'), URL_OF_DB, {});
  t.is(login.role, 'dofoo');
  t.is(login.url, 'postgres://dofoo_login@db.example.com:5433/app');
});

test('dbpassword_file gives the password from the file\'s first line', (t) => {
  const file = join(dir, 'password');
  writeFileSync(file, 'from-file\n');
  const login = sectionLogin(section(`dbuser: dofoo\ndblogin: dofoo\ndbpassword_file: ${file}`), URL_OF_DB, {});
  t.is(new URL(login.url).password, 'from-file');
});

test('a dbpassword_env naming an unset variable is a config error', (t) => {
  t.throws(() => sectionLogin(section('dbuser: dofoo\ndblogin: dofoo\ndbpassword_env: NOT_SET_ANYWHERE'), URL_OF_DB, {}), {
    instanceOf: ConfigError,
    message: '[s] dbpassword_env names NOT_SET_ANYWHERE, which is not set',
  });
});

test('an unreadable dbpassword_file is a config error naming it', (t) => {
  t.throws(() => sectionLogin(section(`dbuser: dofoo\ndblogin: dofoo\ndbpassword_file: ${join(dir, 'missing')}`), URL_OF_DB, {}), {
    instanceOf: ConfigError,
    message: /^\[s\] dbpassword_file .*missing cannot be read: ENOENT/,
  });
});

test('a dblogin that is not a role name is a config error', (t) => {
  t.throws(() => sectionLogin(section('dbuser: dofoo\ndblogin: Bad-Login'), URL_OF_DB, {}), {
    instanceOf: ConfigError,
    message: "dblogin 'Bad-Login' is not a valid role name (lower-case letters, digits, _)",
  });
});

test('behind a session-mode pooler a dblogin other than dbuser still takes dbuser (with SET ROLE, not a startup option)', (t) => {
  const login = sectionLogin(section('dbuser: dofoo\ndblogin: dofoo_login'), URL_OF_DB, {}, 'session');
  t.deepEqual(login, { url: 'postgres://dofoo_login@db.example.com:5433/app', role: 'dofoo', pooler: 'session' });
});

test('behind a transaction-mode pooler a section that logs in as dbuser sends no SET ROLE', (t) => {
  const login = sectionLogin(section('dbuser: dofoo\ndblogin: dofoo'), URL_OF_DB, {}, 'transaction');
  t.deepEqual(login, { url: 'postgres://dofoo@db.example.com:5433/app', role: undefined, pooler: 'transaction' });
});

test('behind a transaction-mode pooler a login that would SET ROLE is a config error saying to log in as the role', (t) => {
  t.throws(() => sectionLogin(section('dbuser: dofoo\ndblogin: dofoo_login'), URL_OF_DB, {}, 'transaction'), {
    instanceOf: ConfigError,
    message: /^\[s\] logs in as dofoo_login and would SET ROLE dofoo, which a transaction-mode pooler .* Log in as the role itself: dblogin: dofoo$/,
  });
});
