import { readFileSync } from 'node:fs';
import type { ConfigSection } from '../config/loadConfig.ts';
import { ConfigError } from '../config/errors.ts';
import type { Pooler } from './pooler.ts';
import { checkRoleName } from './roleName.ts';

export interface SectionLogin {
  /** The URL a run of the section connects with: the database's, with the section's login
   * and password when the section names them. */
  url: string;
  /** The role to take on every connection (SET ROLE), or undefined when the login is the
   * section's role itself: then no SET ROLE is sent, and job code has no other role to take. */
  role: string | undefined;
  /** What `url` reaches when it is a pooler ([database] pooler); absent for the server itself. */
  pooler?: Pooler;
}

/** The password of a section's login: from the file dbpassword_file, or the environment
 * variable named by dbpassword_env; undefined when it names neither. */
function sectionPassword(section: ConfigSection, env: NodeJS.ProcessEnv): string | undefined {
  const file = section.optional<string>('dbpassword_file');
  const variable = section.optional<string>('dbpassword_env');
  if (file && variable) throw new ConfigError(`[${section.name}] sets both dbpassword_file and dbpassword_env; set one`);
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError(`[${section.name}] dbpassword_file ${file} cannot be read: ${(error as Error).message}`);
    }
    const password = text.split('\n')[0]!.replace(/\r$/, '');
    if (!password) throw new ConfigError(`[${section.name}] dbpassword_file ${file} is empty`);
    return password;
  }
  if (variable) {
    const password = env[variable];
    if (!password) throw new ConfigError(`[${section.name}] dbpassword_env names ${variable}, which is not set`);
    return password;
  }
  return undefined;
}

/**
 * How a run of `section` logs in to the database at `url`. By default as the URL's user,
 * taking the section's role (dbuser) on every connection. With `dblogin`, as that role
 * instead (the host, port and database stay the URL's; its user and password are replaced):
 * dblogin may be dbuser itself, a LOGIN role, or a login that is a member of dbuser alone.
 * SET ROLE is sent only when the login is not dbuser. Behind a transaction-mode `pooler` the
 * login must be dbuser: no SET ROLE can be sent there (pooler.ts).
 */
export function sectionLogin(section: ConfigSection, url: string, env: NodeJS.ProcessEnv = process.env, pooler: Pooler = 'none'): SectionLogin {
  const login = loginOf(section, url, env);
  if (pooler === 'none') return login;
  if (pooler === 'transaction' && login.role !== undefined) {
    const user = userOf(login.url);
    throw new ConfigError(
      `[${section.name}] logs in as ${user ?? 'the default user'} and would SET ROLE ${login.role}, which a transaction-mode pooler ([database] pooler: transaction) cannot carry: ` +
        `a SET ROLE outlives the transaction on a server connection other clients share. Log in as the role itself: dblogin: ${login.role}`,
    );
  }
  return { ...login, pooler };
}

function loginOf(section: ConfigSection, url: string, env: NodeJS.ProcessEnv): SectionLogin {
  const dbuser = section.string('dbuser');
  checkRoleName(dbuser);
  const dblogin = section.optional<string>('dblogin');
  if (dblogin) checkRoleName(dblogin, 'dblogin');
  const password = sectionPassword(section, env);
  if (!dblogin && password === undefined) {
    const urlUser = userOf(url);
    return { url, role: urlUser === dbuser ? undefined : dbuser };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('the database URL cannot be parsed, so a section login cannot be put into it');
  }
  // pg reads user and password from the query string before the userinfo part: clear both.
  parsed.searchParams.delete('user');
  parsed.searchParams.delete('password');
  const login = dblogin ?? userOf(url);
  if (dblogin) {
    parsed.username = encodeURIComponent(dblogin);
    parsed.password = '';
    // A URL without a host (a Unix socket given as ?host=) has no userinfo part.
    if (parsed.username !== dblogin) parsed.searchParams.set('user', dblogin);
  }
  if (password !== undefined) {
    parsed.password = encodeURIComponent(password);
    if (!parsed.password) parsed.searchParams.set('password', password);
  }
  return { url: parsed.toString(), role: login === dbuser ? undefined : dbuser };
}

/** The user named by a URL, or undefined when it names none (pg then uses PGUSER or the OS user). */
function userOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.searchParams.get('user') ?? (decodeURIComponent(parsed.username) || undefined);
  } catch {
    return undefined;
  }
}
