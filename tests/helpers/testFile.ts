// The usual set-up of a test file: its own database and config, dropped at the end.
import type { TestFn } from 'ava';
import { createTestDatabase, type TestDatabase, type TestDatabaseOptions } from './database.ts';

/** Create the file's database before its tests and point JOBS_CONFIG at its config. */
export function useTestDatabase(test: TestFn, label: string, options: TestDatabaseOptions | (() => Promise<TestDatabaseOptions>) = {}): () => TestDatabase {
  let db: TestDatabase | undefined;
  test.serial.before(async () => {
    db = await createTestDatabase(label, typeof options === 'function' ? await options() : options);
    process.env.JOBS_CONFIG = db.configFile;
    delete process.env.DATABASE_URL;
  });
  test.after.always(async () => {
    await db?.drop();
  });
  return () => {
    if (!db) throw new Error('the test database is not ready');
    return db;
  };
}
