// A real PgBouncer for tests, in a folder of its own: its pgbouncer.ini and userlist.txt,
// listening on 127.0.0.1 on a free port, in front of one test database.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { waitFor } from './scriptedSection.ts';

/** Where Debian's pgbouncer package puts the binary (.ci/run installs it when missing). */
export const PGBOUNCER = '/usr/sbin/pgbouncer';

/** Why the PgBouncer tests cannot run here, or undefined when they can. CI (CI, or .ci/run's
 * JOBSYSTEM_REQUIRE_PGBOUNCER) must run them: there a missing binary is a failure, not a skip. */
export function pgbouncerMissing(): string | undefined {
  try {
    accessSync(PGBOUNCER, constants.X_OK);
    return undefined;
  } catch {
    const why = `${PGBOUNCER} is not installed (apt-get install pgbouncer)`;
    if (process.env.CI || process.env.JOBSYSTEM_REQUIRE_PGBOUNCER) throw new Error(`${why}: CI runs the PgBouncer tests`);
    return why;
  }
}

export interface PgbouncerOptions {
  /** The test database, as a superuser URL (host, port and database name are used). */
  databaseUrl: string;
  poolMode: 'session' | 'transaction';
  /** The logins PgBouncer accepts, with their passwords (auth_type md5). */
  users: Record<string, string>;
  /** Server connections per (database, user) pair. */
  poolSize: number;
  /** A folder of its own for the ini file, the user list and the socket-less run. */
  dir: string;
}

export interface Pgbouncer {
  port: number;
  /** The database's name behind PgBouncer. */
  database: string;
  /** A URL through PgBouncer, without a user: as a production [database] url. */
  url: string;
  /** Everything PgBouncer wrote (its log goes to stderr). */
  output(): string;
  stop(): Promise<void>;
}

/** A TCP port nobody listens on now. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const quote = (text: string) => `"${text.replace(/"/g, '""')}"`;

/** Start PgBouncer in front of `databaseUrl` and wait until it accepts connections. */
export async function startPgbouncer(options: PgbouncerOptions): Promise<Pgbouncer> {
  const server = new URL(options.databaseUrl);
  const database = 'jobs';
  const port = await freePort();
  mkdirSync(options.dir, { recursive: true });
  const ini = join(options.dir, 'pgbouncer.ini');
  const userlist = join(options.dir, 'userlist.txt');
  writeFileSync(userlist, Object.entries(options.users).map(([user, password]) => `${quote(user)} ${quote(password)}\n`).join(''));
  writeFileSync(
    ini,
    [
      '[databases]',
      `${database} = host=${server.hostname} port=${server.port || 5432} dbname=${server.pathname.slice(1)}`,
      '',
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      // No Unix socket: two tests' PgBouncers would fight over /tmp/.s.PGSQL.<port>.
      'unix_socket_dir =',
      'auth_type = md5',
      `auth_file = ${userlist}`,
      `pool_mode = ${options.poolMode}`,
      `default_pool_size = ${options.poolSize}`,
      'max_client_conn = 200',
      'server_reset_query = DISCARD ALL',
      'logfile =',
      'pidfile =',
      '',
    ].join('\n'),
  );
  // PgBouncer will not run as root; as root, it is told to drop to nobody, who must read its files.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    chmodSync(options.dir, 0o755);
    chmodSync(ini, 0o644);
    chmodSync(userlist, 0o644);
  }
  const child: ChildProcess = spawn(PGBOUNCER, [...(asRoot ? ['-u', 'nobody'] : []), ini], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  await waitFor(`PgBouncer to listen on port ${port}`, async () => {
    if (gone) throw new Error(`PgBouncer exited: ${output}`);
    return accepts(port);
  });
  const url = `postgres://127.0.0.1:${port}/${database}`;
  return {
    port,
    database,
    url,
    output: () => output,
    async stop() {
      if (!gone) child.kill('SIGINT');
      await exited;
    },
  };
}
