// The child process of the isolated runner (isolatedWorkers.ts): runs one claimed job at a
// time, in its own transaction, and reports the outcome. Started with its options in the
// JOBSYSTEM_WORKER environment variable; talks to its parent over IPC.
import { openDataSource } from '../database/dataSource.ts';
import { makeOopsFiler } from '../oops/filer.ts';
import type { Logger } from '../scripts/logger.ts';
import { toError } from './interfaces/errors.ts';
import { JobRunner } from './runner.ts';
import { loadJobSource } from './sourceInterface.ts';
import { selectClaimedJob } from './sql/selectClaimedJob.ts';
import type { ParentMessage, WorkerMessage, WorkerOptions } from './isolatedProtocol.ts';

function send(message: WorkerMessage): void {
  process.send?.(message);
}

const ipcLogger: Logger = {
  debug: (message) => send({ type: 'log', level: 'debug', message }),
  info: (message) => send({ type: 'log', level: 'info', message }),
  warning: (message) => send({ type: 'log', level: 'warning', message }),
  error: (message) => send({ type: 'log', level: 'error', message }),
};

const options = JSON.parse(process.env.JOBSYSTEM_WORKER ?? '{}') as WorkerOptions;
const source = await loadJobSource(options.sourceInterface);
const dataSource = await openDataSource(options.databaseUrl, { ...(options.role ? { role: options.role } : {}), pooler: options.pooler, poolSize: 2, applicationName: 'jobsystem worker' });
const fileOops = makeOopsFiler({ errorDir: options.errorDir, reporter: options.reporter });

process.on('message', (message: ParentMessage) => {
  if (message.type !== 'run') return;
  void (async () => {
    try {
      const job = await selectClaimedJob(dataSource.manager, message.jobId, options.owner);
      if (!job) return send({ type: 'done', jobId: message.jobId, outcome: 'lost' });
      const [runnable] = await source.fromJobs(dataSource.manager, [job]);
      if (!runnable) return send({ type: 'error', message: `job ${job.id} has no row in its domain table` });
      const runner = new JobRunner({ dataSource, logger: ipcLogger, fileOops, owner: options.owner, quickJobMs: 0, leaseMs: options.leaseMs });
      await runner.runOne(runnable);
      const result = runner.results.at(-1);
      send({ type: 'done', jobId: job.id, outcome: result?.outcome ?? 'lost', oops: result?.oops });
    } catch (error) {
      send({ type: 'error', message: toError(error).message });
    }
  })();
});
// A job that raises outside its run() (a timer, a promise nobody awaits) crashes this worker:
// say what happened before dying, so the parent's OOPS for the job says it too.
const crash = (kind: string) => (thrown: unknown) => {
  const error = toError(thrown);
  const message: WorkerMessage = { type: 'error', message: `The job crashed its worker process with ${kind}: ${error.name}: ${error.message}` };
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 1000).unref();
  // Exit once the message is on its way (an exit at once could drop it).
  if (process.send) process.send(message, undefined, {}, () => process.exit(1));
  else process.exit(1);
};
process.on('uncaughtException', crash('an uncaught exception'));
process.on('unhandledRejection', crash('an unhandled rejection'));
// A Ctrl-C reaches the whole process group: the parent decides when workers stop (it lets a
// running job finish within the grace period), so the worker ignores stop signals itself.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);
process.on('disconnect', () => {
  // The parent is gone (it retired this worker, or died): a job still running here has lost
  // its heartbeat, so do not wait for it; its transaction rolls back with the connection.
  setTimeout(() => process.exit(0), 1000).unref();
  void dataSource.destroy().finally(() => process.exit(0));
});
send({ type: 'ready' });
