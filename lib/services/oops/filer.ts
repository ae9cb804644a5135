import type { Logger } from '../scripts/logger.ts';
import { createOops, type OopsReport } from './report.ts';
import { writeOops } from './store.ts';

export interface OopsFilerOptions {
  errorDir: string;
  /** <oops_prefix>-<section> */
  reporter: string;
  logger?: Logger;
}

/**
 * Files OOPS reports. Called, it creates a report and writes it at once. For a failure whose
 * outcome is still to commit, `create` gives the report (and so its id, to store with the
 * outcome) without writing it, and `write` writes it once the outcome has committed: a
 * rolled-back outcome leaves no report.
 */
export interface OopsFiler {
  (error: unknown, vars?: Array<[string, string]>): Promise<OopsReport>;
  create(error: unknown, vars?: Array<[string, string]>): OopsReport;
  write(report: OopsReport): Promise<string>;
}

/** An OopsFiler writing to `errorDir` as `reporter`. */
export function makeOopsFiler(options: OopsFilerOptions): OopsFiler {
  const create = (error: unknown, vars: Array<[string, string]> = []) => createOops(error, { reporter: options.reporter, vars });
  const write = async (report: OopsReport) => {
    const path = await writeOops(options.errorDir, report);
    options.logger?.debug(`OOPS ${report.id} written to ${path}`);
    return path;
  };
  const file = async (error: unknown, vars: Array<[string, string]> = []) => {
    const report = create(error, vars);
    await write(report);
    return report;
  };
  return Object.assign(file, { create, write });
}
