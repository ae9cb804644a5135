import { Gauge, Registry } from 'prom-client';
import type { StatusSnapshot } from './statusSnapshot.ts';

/**
 * The Prometheus gauges of /metrics, set from a StatusSnapshot read at scrape time: cron's
 * one-shot runners keep no counters in memory, so everything is read from the job table.
 */
export class JobMetrics {
  readonly registry = new Registry();
  private readonly jobs = new Gauge({
    name: 'jobsystem_jobs',
    help: 'Jobs in the job table, by queue, job type and status (finished jobs count until pruned).',
    labelNames: ['queue', 'job_type', 'status'] as const,
    registers: [this.registry],
  });
  private readonly oldestWaiting = new Gauge({
    name: 'jobsystem_oldest_waiting_seconds',
    help: 'Per queue, how long the oldest ready WAITING job has waited (since created, or since its scheduled start); 0 when none waits.',
    labelNames: ['queue'] as const,
    registers: [this.registry],
  });
  private readonly expiredLeases = new Gauge({
    name: 'jobsystem_expired_leases',
    help: 'RUNNING jobs whose lease has passed (their runner died or hangs), per queue.',
    labelNames: ['queue'] as const,
    registers: [this.registry],
  });
  private readonly failedLastHour = new Gauge({
    name: 'jobsystem_failed_last_hour',
    help: 'Jobs that became FAILED in the last hour, by queue and job type.',
    labelNames: ['queue', 'job_type'] as const,
    registers: [this.registry],
  });
  private readonly completedLastHour = new Gauge({
    name: 'jobsystem_completed_last_hour',
    help: 'Jobs that became COMPLETED in the last hour, by queue and job type.',
    labelNames: ['queue', 'job_type'] as const,
    registers: [this.registry],
  });
  private readonly scrapeTime = new Gauge({
    name: 'jobsystem_metrics_read_seconds',
    help: 'How long reading these metrics from the database took.',
    registers: [this.registry],
  });

  /** Replace every value by the snapshot's (label sets that disappeared are dropped). */
  set(snapshot: StatusSnapshot, readSeconds: number): void {
    for (const gauge of [this.jobs, this.oldestWaiting, this.expiredLeases, this.failedLastHour, this.completedLastHour]) gauge.reset();
    const queues = new Set<string>();
    for (const { status, queueName, jobType, count } of snapshot.counts) {
      this.jobs.set({ queue: queueName, job_type: jobType, status }, count);
      queues.add(queueName);
    }
    // Every known queue gets its oldest-waiting and expired-lease series, 0 when it has none,
    // so an alert on them sees the value fall back rather than the series vanish.
    for (const queue of queues) {
      this.oldestWaiting.set({ queue }, 0);
      this.expiredLeases.set({ queue }, 0);
    }
    for (const { queueName, since } of snapshot.oldestWaiting) {
      this.oldestWaiting.set({ queue: queueName }, Math.max(0, (snapshot.takenAt.getTime() - since.getTime()) / 1000));
    }
    for (const { queueName, count } of snapshot.expiredLeases) this.expiredLeases.set({ queue: queueName }, count);
    for (const { queueName, jobType, status, count } of snapshot.finished) {
      const gauge = status === 'FAILED' ? this.failedLastHour : this.completedLastHour;
      gauge.inc({ queue: queueName, job_type: jobType }, count);
    }
    this.scrapeTime.set(readSeconds);
  }

  contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
