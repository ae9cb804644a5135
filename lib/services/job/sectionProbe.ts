import type pg from 'pg';
import type { Config, ConfigSection } from '../config/loadConfig.ts';
import { setRole } from '../database/databaseClient.ts';
import type { ResolvedDatabase } from '../database/databaseUrl.ts';
import { requireCurrentSchema } from '../database/requireCurrentSchema.ts';
import type { SectionLogin } from '../database/sectionLogin.ts';
import { isTaskSection, taskSectionSourceInterface } from '../tasks/taskSection.ts';
import { deadOwners, thisHostPrefix } from './deadRunners.ts';
import { sectionQueues } from './sectionQueues.ts';
import { findJobSourceInterface, type JobSourceDeclaration, type JobSourceInterface } from './sourceInterface.ts';
import { anyJobToRun } from './sql/anyJobToRun.ts';
import { selectRunningOwnersOn } from './sql/selectRunningOwners.ts';

// The empty-run probe: what run_jobs asks before it loads a job source, TypeORM and the
// runner (most of a start-up's cost), and what process-job-source-groups asks of every
// section of a group in one process, starting run_jobs only for the sections with work.
// Nothing here imports TypeORM (tests/emptyRunImports.test.ts).

/** The job source interface of a job section: its tasks (a multi-step job named in the
 * config) or its source_interface. Only the interface module is imported, not the source. */
export async function sectionSourceInterface(config: Config, sectionName: string): Promise<JobSourceInterface> {
  const section = config.section(sectionName);
  if (isTaskSection(section)) return taskSectionSourceInterface(sectionName, section);
  return findJobSourceInterface(section.string('source_interface'));
}

/** Check, on a connection as the section's login, that the schema is this version's (see
 * requireCurrentSchema: a run's login may do no DDL). */
export async function ensureSchemaCurrent(client: pg.ClientBase, database: ResolvedDatabase, login: SectionLogin): Promise<void> {
  await requireCurrentSchema(client, database, login.url);
}

/**
 * Whether a run of `section` has anything to do, asked as the section's role (SET ROLE when
 * its login is not its dbuser, so a connection serves only sections of one login and role): a
 * ready job of its types in its queues, a RUNNING one whose lease has passed, or one held by a
 * runner of this host whose process is gone (killed, OOM), which a run takes back at once,
 * live lease or not.
 */
export async function sectionHasWork(client: pg.ClientBase, section: ConfigSection, login: SectionLogin, declared: JobSourceDeclaration): Promise<boolean> {
  if (login.role) await setRole(client, login.role, login.url);
  if (await anyJobToRun(client, declared.jobTypes, sectionQueues(section))) return true;
  return deadOwners(await selectRunningOwnersOn(client, declared.jobTypes, thisHostPrefix())).length > 0;
}
