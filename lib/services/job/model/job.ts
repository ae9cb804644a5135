import { EntitySchema } from '../../database/typeorm.ts';
import { InvalidTransition, LeaseHeld } from '../interfaces/errors.ts';
import { checkTransition, JobStatus } from '../interfaces/jobStatus.ts';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';

/** The common job row (table `job`). The state methods change the row in memory and check
 * every transition; save it with the EntityManager of your transaction. The runner's hot
 * path does the same transitions in single SQL statements (../sql/). */
export class Job {
  id!: number;
  jobType!: string;
  status: JobStatus = JobStatus.WAITING;
  attemptCount = 0;
  maxRetries = 0;
  log: string | null = null;
  scheduledStart: Date | null = null;
  leaseExpires: Date | null = null;
  dateCreated!: Date;
  dateStarted: Date | null = null;
  dateFinished: Date | null = null;
  requester: string | null = null;
  jsonData: Record<string, unknown> | null = null;
  claimedBy: string | null = null;
  /** Why the latest failed attempt failed (`Name: message`); kept after a later success. */
  lastError: string | null = null;
  /** The OOPS id of that failure, when it filed one. */
  lastOops: string | null = null;
  /** How many times a runner died holding this job; > 0 while WAITING: a suspect, run on its own. */
  runnerDeaths = 0;
  /** Multi-step jobs: how many tasks have completed (the index of the next one). */
  step = 0;
  /** Multi-step jobs: the JSON object the tasks pass on to each other. */
  workspace: Record<string, unknown> | null = null;
  /** The queue the job was created in. */
  queueName = 'default';
  /** Within its queue, higher first; default 0. */
  priority = 0;
  /** Jobs on resources (lib/services/resources/): the resource type, e.g. 'instance'; null for none. */
  resourceType: string | null = null;
  /** Jobs on resources: the resource's name; its jobs run one at a time in id order. */
  resourceName: string | null = null;
  /** Jobs on resources: 'CREATE', 'DELETE', 'UPDATE', comma-separated and sorted ('' for none). */
  resourceOptions: string | null = null;
  /** The JSON value run() returned, stored with COMPLETED (jobs on resources). */
  result: unknown = null;

  private setStatus(status: JobStatus): void {
    checkTransition(this.status, status);
    this.status = status;
  }

  /** Mark the job as starting: RUNNING, a new attempt. */
  start(clock: Clock = systemClock): void {
    this.setStatus(JobStatus.RUNNING);
    this.dateStarted = clock.now();
    this.dateFinished = null;
    this.attemptCount += 1;
  }

  complete(clock: Clock = systemClock): void {
    this.setStatus(JobStatus.COMPLETED);
    this.dateFinished = clock.now();
  }

  fail(clock: Clock = systemClock): void {
    this.setStatus(JobStatus.FAILED);
    this.dateFinished = clock.now();
  }

  /** Back to WAITING; after a started attempt, not before `retryDelayMs` has passed. */
  queue(retryDelayMs = 0, clock: Clock = systemClock): void {
    this.setStatus(JobStatus.WAITING);
    this.dateFinished = clock.now();
    this.leaseExpires = null;
    this.claimedBy = null;
    if (this.attemptCount > 0) this.scheduledStart = new Date(clock.now().getTime() + retryDelayMs);
  }

  suspend(): void {
    this.setStatus(JobStatus.SUSPENDED);
  }

  /** SUSPENDED -> WAITING, ready at once: the lease and owner a suspended job may still carry
   * are cleared (scheduled_start is kept). InvalidTransition from any other status. */
  resume(): void {
    if (this.status !== JobStatus.SUSPENDED) throw new InvalidTransition(this.status, JobStatus.WAITING, 'only a suspended job can be resumed');
    this.setStatus(JobStatus.WAITING);
    this.leaseExpires = null;
    this.claimedBy = null;
  }

  /** Take the lease for `durationMs`; LeaseHeld while another live lease exists. */
  acquireLease(durationMs: number, clock: Clock = systemClock): void {
    const now = clock.now();
    if (this.leaseExpires !== null && this.leaseExpires.getTime() >= now.getTime()) throw new LeaseHeld(this.id);
    this.leaseExpires = new Date(now.getTime() + durationMs);
  }

  /** Milliseconds left on the lease (negative once it has passed); null without a lease. */
  getTimeout(clock: Clock = systemClock): number | null {
    return this.leaseExpires === null ? null : this.leaseExpires.getTime() - clock.now().getTime();
  }

  /** WAITING, with no live lease and no start time still ahead. */
  isRunnable(clock: Clock = systemClock): boolean {
    const now = clock.now().getTime();
    return (
      this.status === JobStatus.WAITING &&
      (this.leaseExpires === null || this.leaseExpires.getTime() < now) &&
      (this.scheduledStart === null || this.scheduledStart.getTime() <= now)
    );
  }
}

export const JobEntity = new EntitySchema<Job>({
  name: 'Job',
  target: Job,
  tableName: 'job',
  columns: {
    id: { type: 'bigint', primary: true, generated: true },
    jobType: { name: 'job_type', type: 'text' },
    status: { type: 'text', default: 'WAITING' },
    attemptCount: { name: 'attempt_count', type: 'integer', default: 0 },
    maxRetries: { name: 'max_retries', type: 'integer', default: 0 },
    log: { type: 'text', nullable: true },
    scheduledStart: { name: 'scheduled_start', type: 'timestamptz', nullable: true },
    leaseExpires: { name: 'lease_expires', type: 'timestamptz', nullable: true },
    dateCreated: { name: 'date_created', type: 'timestamptz', createDate: true },
    dateStarted: { name: 'date_started', type: 'timestamptz', nullable: true },
    dateFinished: { name: 'date_finished', type: 'timestamptz', nullable: true },
    requester: { type: 'text', nullable: true },
    jsonData: { name: 'json_data', type: 'jsonb', nullable: true },
    claimedBy: { name: 'claimed_by', type: 'text', nullable: true },
    lastError: { name: 'last_error', type: 'text', nullable: true },
    lastOops: { name: 'last_oops', type: 'text', nullable: true },
    runnerDeaths: { name: 'runner_deaths', type: 'integer', default: 0 },
    step: { type: 'integer', default: 0 },
    workspace: { type: 'jsonb', nullable: true },
    queueName: { name: 'queue_name', type: 'text', default: 'default' },
    priority: { type: 'integer', default: 0 },
    resourceType: { name: 'resource_type', type: 'text', nullable: true },
    resourceName: { name: 'resource_name', type: 'text', nullable: true },
    resourceOptions: { name: 'resource_options', type: 'text', nullable: true },
    result: { type: 'jsonb', nullable: true },
  },
});
