// Config files with a [scripted] job section, for tests that run ScriptedJobs by script.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestDatabase } from './database.ts';

/** Write `<name>.ini` extending the test database's config, with a section (`[scripted]`
 * unless `options.section` names another) running ScriptedJobs as the postgres role unless
 * `keys` names a dbuser, plus any extra `key: value` lines for it; `options.database` lines
 * go into a [database] section. */
export function scriptedConfig(
  db: TestDatabase,
  name: string,
  keys: Record<string, string | number | boolean> = {},
  extra = '',
  options: { section?: string; database?: string[] } = {},
): string {
  const file = join(db.dir, `${name}.ini`);
  const lines = Object.entries({ dbuser: 'postgres', ...keys }).map(([key, value]) => `${key}: ${value}`);
  const database = options.database ? ['[database]', ...options.database, ''] : [];
  writeFileSync(
    file,
    [
      '[meta]',
      `extends: ${db.configFile}`,
      '',
      ...database,
      `[${options.section ?? 'scripted'}]`,
      'link: job_runner',
      'source_interface: tests.helpers.scriptedJob.IScriptedJobSource',
      ...lines,
      '',
      extra,
    ].join('\n'),
  );
  return file;
}

/** Poll `check` until it returns a value (not undefined/false) or `timeoutMs` passes. The
 * bound is generous: a condition that holds is seen as soon as it does, so a long bound
 * costs only a failing test its time, while a short one fails on a busy machine. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
