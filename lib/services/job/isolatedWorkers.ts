// The isolated runner (Launchpad's TwistedJobRunner, in spirit): each job runs in a child
// process, so a job past its time limit or over its memory limit can be killed and the run
// goes on with the next job. A worker that ran a job successfully is reused; after any other
// outcome it is replaced, so no broken state leaks into the next job.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CODE_EXTENSION, COMPILED } from '../paths.ts';
import { JobMemoryExceeded, JobTimeout, toError, WorkerDied } from './interfaces/errors.ts';
import type { IRunnableJob } from './interfaces/job.ts';
import { statusTitle } from './interfaces/jobStatus.ts';
import type { ParentMessage, WorkerMessage, WorkerOptions } from './isolatedProtocol.ts';
import type { JobExecutor, JobRunner } from './runner.ts';

export interface IsolatedOptions extends Omit<WorkerOptions, 'owner' | 'leaseMs'> {
  /** Kill a job after this long; 0 for no limit. */
  timeoutMs: number;
  /** Kill a job whose process grows past this resident size; 0 for no limit. */
  memoryLimitMb: number;
}

type RunResult =
  | { kind: 'done'; message: Extract<WorkerMessage, { type: 'done' }> }
  | { kind: 'timeout' }
  | { kind: 'memory'; rssMb: number }
  | { kind: 'died'; reason: string };

// The worker as this code runs: compiled JavaScript under dist/, or TypeScript through tsx's
// ESM hooks only (every module here is ESM, and skipping tsx's CommonJS hooks makes loading
// the dependencies, TypeORM above all, markedly faster).
const WORKER_SCRIPT = fileURLToPath(new URL(`./isolatedWorker${CODE_EXTENSION}`, import.meta.url));
// Compiled, source maps make a job's traceback (in its OOPS) point at the .ts files.
const LOADER_ARGS = COMPILED ? ['--enable-source-maps'] : ['--import', import.meta.resolve('tsx/esm')];

/** Resident set size of a process in MB, from /proc (0 when it cannot be read). */
function residentMb(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

class WorkerProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  private exited = false;

  constructor(options: WorkerOptions, memoryLimitMb: number, private readonly runner: JobRunner) {
    const execArgv = [...LOADER_ARGS];
    // V8's own heap limit stops runaway JavaScript allocation before the system has to.
    if (memoryLimitMb > 0) execArgv.push(`--max-old-space-size=${memoryLimitMb}`);
    this.child = fork(WORKER_SCRIPT, [], {
      execArgv,
      env: { ...process.env, JOBSYSTEM_WORKER: JSON.stringify(options) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (message: WorkerMessage) => {
      if (message.type === 'log') this.runner.logger[message.level](message.message);
    });
    this.child.on('exit', () => (this.exited = true));
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (message: WorkerMessage) => {
        if (message.type === 'ready') {
          this.child.off('exit', onExit);
          resolve();
        }
      };
      const onExit = (code: number | null, signal: string | null) => reject(new WorkerDied(`the worker process exited before it was ready (code ${code}, signal ${signal})`));
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
    });
  }

  get alive(): boolean {
    return !this.exited;
  }

  run(jobId: number, timeoutMs: number, memoryLimitMb: number): Promise<RunResult> {
    return new Promise((resolve) => {
      const timers: NodeJS.Timeout[] = [];
      const finish = (result: RunResult) => {
        timers.forEach(clearTimeout);
        timers.forEach(clearInterval);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        resolve(result);
      };
      const onMessage = (message: WorkerMessage) => {
        if (message.type === 'done' && message.jobId === jobId) finish({ kind: 'done', message });
        if (message.type === 'error') finish({ kind: 'died', reason: message.message });
      };
      const onExit = (code: number | null, signal: string | null) =>
        finish({ kind: 'died', reason: `The worker process running the job died (exit code ${code}, signal ${signal}).` });
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
      if (timeoutMs > 0) timers.push(setTimeout(() => finish({ kind: 'timeout' }), timeoutMs));
      if (memoryLimitMb > 0) {
        timers.push(
          setInterval(() => {
            const rss = residentMb(this.child.pid!);
            if (rss > memoryLimitMb) finish({ kind: 'memory', rssMb: Math.round(rss) });
          }, 50),
        );
      }
      this.child.send({ type: 'run', jobId } satisfies ParentMessage);
    });
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  retire(): void {
    if (!this.exited) this.child.disconnect();
  }
}

export class IsolatedExecutor implements JobExecutor {
  private readonly idle: WorkerProcess[] = [];
  private readonly all = new Set<WorkerProcess>();
  private readonly killAll = () => this.all.forEach((worker) => worker.kill());

  constructor(private readonly options: IsolatedOptions) {
    // Whatever way this process ends, no worker outlives it.
    process.once('exit', this.killAll);
  }

  private async take(runner: JobRunner): Promise<WorkerProcess> {
    while (this.idle.length > 0) {
      const worker = this.idle.pop()!;
      if (worker.alive) return worker;
      this.all.delete(worker);
    }
    const worker = new WorkerProcess({ ...this.options, owner: runner.owner, leaseMs: runner.leaseMs }, this.options.memoryLimitMb, runner);
    this.all.add(worker);
    await worker.ready;
    return worker;
  }

  private discard(worker: WorkerProcess): void {
    worker.kill();
    this.all.delete(worker);
  }

  async execute(job: IRunnableJob, runner: JobRunner): Promise<void> {
    let worker: WorkerProcess;
    try {
      worker = await this.take(runner);
    } catch (error) {
      return runner.handleFailure(job, toError(error));
    }
    runner.logger.debug(`Running ${job.toString()} in status ${statusTitle('WAITING')} (worker process ${worker.child.pid})`);
    const result = await worker.run(job.job.id, job.timeoutMs ?? this.options.timeoutMs, this.options.memoryLimitMb);
    switch (result.kind) {
      case 'done':
        runner.record(job, result.message.outcome, result.message.oops);
        if (result.message.outcome === 'completed' || result.message.outcome === 'advanced') this.idle.push(worker);
        else this.discard(worker);
        return;
      case 'timeout':
        this.discard(worker);
        return runner.handleFailure(job, new JobTimeout('Job ran too long.'));
      case 'memory':
        this.discard(worker);
        return runner.handleFailure(job, new JobMemoryExceeded(`Job exceeded its memory limit: ${result.rssMb} MB resident, limit ${this.options.memoryLimitMb} MB.`));
      case 'died':
        this.discard(worker);
        return runner.handleFailure(job, new WorkerDied(result.reason));
    }
  }

  async close(): Promise<void> {
    for (const worker of this.all) worker.retire();
    this.all.clear();
    this.idle.length = 0;
    process.off('exit', this.killAll);
  }
}
