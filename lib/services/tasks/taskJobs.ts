import type { EntityManager } from 'typeorm';
import type { IJobSource } from '../job/interfaces/job.ts';
import type { Job } from '../job/model/job.ts';
import { selectReadyJobs } from '../job/sql/selectReadyJobs.ts';
import { TaskJob, type TaskJobDefinition } from './taskJob.ts';

/** A job name is a job_type: letters, digits and underscores, as in import_cats. */
const JOB_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

type TaskJobClass = new (job: Job, definition: TaskJobDefinition) => TaskJob;

/**
 * Job names and their ordered tasks (django-db-queue's JOBS setting), made by defineTaskJobs().
 * It is the job source of those names too: a config section whose source_interface loads it
 * (defineJobSource) runs them with cronscripts/run_jobs.ts, one step per claim, on the one job
 * table. Each job's job_type is its name.
 */
export class TaskJobSet implements IJobSource {
  readonly kind = 'TaskJobSet';
  readonly name: string;
  readonly jobTypes: readonly string[];
  private readonly classes = new Map<string, TaskJobClass>();

  constructor(readonly definitions: Readonly<Record<string, TaskJobDefinition>>) {
    const names = Object.keys(definitions);
    if (names.length === 0) throw new Error('defineTaskJobs() needs at least one job name');
    for (const name of names) {
      if (!JOB_NAME.test(name)) throw new Error(`job name '${name}' is not a name such as import_cats (letters, digits, _)`);
      const definition = definitions[name]!;
      if (!Array.isArray(definition.tasks) || definition.tasks.length === 0 || definition.tasks.some((task) => typeof task !== 'function')) {
        throw new Error(`job ${name}: tasks must be a non-empty list of functions`);
      }
      // A class per name, so that log lines and the run's counts say `Ran 2 import_cats jobs.`
      this.classes.set(name, { [name]: class extends TaskJob {} }[name]!);
    }
    this.jobTypes = names;
    this.name = names.join(', ');
  }

  get failureHookJobTypes(): string[] {
    return this.jobTypes.filter((name) => this.definitions[name]!.onFailure !== undefined);
  }

  get names(): string[] {
    return [...this.jobTypes];
  }

  definition(name: string): TaskJobDefinition | undefined {
    return Object.hasOwn(this.definitions, name) ? this.definitions[name] : undefined;
  }

  /** The runnable job of a row of one of these names. */
  wrap(job: Job): TaskJob {
    const JobClass = this.classes.get(job.jobType);
    if (!JobClass) throw new Error(`job ${job.id} has job_type ${job.jobType}, which is none of ${this.name}`);
    return new JobClass(job, this.definitions[job.jobType]!);
  }

  async iterReady(manager: EntityManager): Promise<TaskJob[]> {
    return (await selectReadyJobs(manager, this.jobTypes)).map((job) => this.wrap(job));
  }

  async fromJobs(_manager: EntityManager, jobs: readonly Job[]): Promise<TaskJob[]> {
    return jobs.map((job) => this.wrap(job));
  }
}

export function isTaskJobSet(value: unknown): value is TaskJobSet {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'TaskJobSet';
}

/**
 * Define multi-step jobs in code:
 *   export const catJobs = defineTaskJobs({ import_cats: { tasks: [stepOne, stepTwo, stepThree] } });
 */
export function defineTaskJobs(definitions: Record<string, TaskJobDefinition>): TaskJobSet {
  return new TaskJobSet(definitions);
}
