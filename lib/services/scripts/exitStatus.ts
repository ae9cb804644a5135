/**
 * The exit statuses of every script, defined once: the code uses ExitStatus, and every
 * script's --help (and the README) prints EXIT_STATUS_MEANINGS. A new status is one line in
 * each. 5-9 are free for more kinds of "nothing was done, and here is why"; 64-78 follow
 * sysexits.h where one fits.
 */
export const ExitStatus = {
  OK: 0,
  /** The script itself failed: an unexpected error, logged, with an OOPS report. */
  FAILURE: 1,
  /** Bad input: options, config, environment variables, log or lock paths. Nothing was touched. */
  BAD_INPUT: 2,
  /** The database cannot be reached or used. Nothing was touched. */
  DATABASE_UNAVAILABLE: 3,
  /** The database's schema is older than this code's schema.sql: run npm run db:upgrade. Nothing was touched. */
  SCHEMA_BEHIND: 4,
  /** Another run holds the section's lock file (sysexits' EX_TEMPFAIL: try again later). */
  LOCK_BUSY: 75,
  INTERRUPTED: 130,
  TERMINATED: 143,
} as const;

export type ExitStatusName = keyof typeof ExitStatus;

/** One line per status, for --help and the README, in the order shown. */
export const EXIT_STATUS_MEANINGS: Record<ExitStatusName, string> = {
  OK: 'the run finished (failed jobs get OOPS reports, not a status), or there was nothing to do',
  FAILURE: 'the script itself failed (logged, with an OOPS report)',
  BAD_INPUT: 'bad input: option, config, JOBS_CONFIG, DATABASE_URL, log file, lock folder',
  DATABASE_UNAVAILABLE: 'the database cannot be reached or used',
  SCHEMA_BEHIND: 'the database schema is behind schema.sql: run npm run db:upgrade as the owner',
  LOCK_BUSY: 'another run holds the lock file (the line says whose, and how to clear it)',
  INTERRUPTED: 'stopped by SIGINT',
  TERMINATED: 'stopped by SIGTERM',
};

/** The epilogue of every script's --help: its environment and its exit statuses. */
export function helpEpilogue(extraStatuses: ReadonlyArray<[string, string]> = []): string {
  const statuses: Array<[string, string]> = [
    ...(Object.keys(ExitStatus) as ExitStatusName[]).map((name): [string, string] => [String(ExitStatus[name]), EXIT_STATUS_MEANINGS[name]]),
    ...extraStatuses,
  ];
  return [
    'Environment:',
    '  JOBS_CONFIG   the instance config file (unset: config/development.ini of this checkout)',
    '  DATABASE_URL  PostgreSQL URL, e.g. postgres://user:password@host/db; overrides [database] url;',
    '                neither set: the embedded PostgreSQL under var/',
    '',
    'Exit status (with 2, 3, 4 and 75 no job was touched):',
    ...statuses.map(([code, meaning]) => `  ${code.padEnd(5)}${meaning}`),
  ].join('\n');
}
