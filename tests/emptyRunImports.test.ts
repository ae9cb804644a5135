// An empty run (cron's most common case) must not load TypeORM: the probe that decides there
// is nothing to do runs before it. This follows the static value imports (not `import type`,
// not `await import()`) of the cron scripts' entry module and fails if any reaches typeorm.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import test from 'ava';
import { fromRoot } from '../lib/services/paths.ts';

const STATIC_IMPORT = /^(?:import|export)\s+(?!type\b)[^;]*?\sfrom\s+'([^']+)'|^import\s+'([^']+)'/gm;

/** The chain of modules by which `entry` statically reaches `target`, or undefined. */
function chainTo(entry: string, target: (specifier: string) => boolean): string[] | undefined {
  const seen = new Set<string>();
  const visit = (file: string, path: string[]): string[] | undefined => {
    if (seen.has(file)) return undefined;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(STATIC_IMPORT)) {
      const specifier = match[1] ?? match[2]!;
      if (target(specifier)) return [...path, file, specifier];
      if (specifier.startsWith('.')) {
        const found = visit(resolve(dirname(file), specifier), [...path, file]);
        if (found) return found;
      }
    }
    return undefined;
  };
  return visit(entry, []);
}

const isTypeorm = (specifier: string) => specifier === 'typeorm' || specifier.startsWith('typeorm/') || specifier.endsWith('/typeorm.ts');

test('the modules an empty run loads import nothing of TypeORM', (t) => {
  const chain = chainTo(fromRoot('lib/services/job/cronscript.ts'), isTypeorm);
  t.is(chain, undefined, `reached by: ${chain?.join(' -> ')}`);
});

test('process-job-source-groups, which probes every section of a group in one process, imports nothing of TypeORM', (t) => {
  const chain = chainTo(fromRoot('lib/services/job/processJobSourceGroups.ts'), isTypeorm);
  t.is(chain, undefined, `reached by: ${chain?.join(' -> ')}`);
});

test('the import check finds TypeORM where it is imported', (t) => {
  t.truthy(chainTo(fromRoot('lib/services/job/runner.ts'), (specifier) => specifier === 'typeorm' || specifier.endsWith('/typeorm.ts')));
});
