import type { Logger } from '../scripts/logger.ts';
import { createOops, type OopsReport } from './report.ts';
import { writeOops } from './store.ts';

export interface OopsFilerOptions {
  errorDir: string;
  /** <oops_prefix>-<section> */
  reporter: string;
  logger?: Logger;
}

/** Returns a function that creates an OOPS report for an error and writes it to disk. */
export function makeOopsFiler(options: OopsFilerOptions): (error: unknown, vars?: Array<[string, string]>) => Promise<OopsReport> {
  return async (error, vars = []) => {
    const report = createOops(error, { reporter: options.reporter, vars });
    const path = await writeOops(options.errorDir, report);
    options.logger?.debug(`OOPS ${report.id} written to ${path}`);
    return report;
  };
}
