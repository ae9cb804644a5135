// A job type whose behaviour is written in its payload, so the instance the runner builds
// behaves as the test asked (the seed warns against patching one's own instance).
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { EntityManager } from 'typeorm';
import type { Job } from '../../lib/services/job/model/job.ts';
import type { OopsReport } from '../../lib/services/oops/report.ts';
import { JobTimeout, SuspendJob } from '../../lib/services/job/interfaces/errors.ts';
import { SimpleJob } from '../../lib/services/job/simpleJob.ts';
import { defineJobSource } from '../../lib/services/job/sourceInterface.ts';
import type { Logger } from '../../lib/services/scripts/logger.ts';

export class TemporaryProblem extends Error {
  override name = 'TemporaryProblem';
}
export class BadRequest extends Error {
  override name = 'BadRequest';
}

export type Action = 'succeed' | 'retry' | 'user-error' | 'suspend' | 'crash' | 'write-then-crash' | 'write-forbidden' | 'record-role' | 'sleep'
  | 'count' | 'hang-first-runs' | 'hang-on-attempt' | 'exit' | 'throw-uncaught' | 'reject-unhandled' | 'sleep-and-record' | 'record-pid' | 'allocate' | 'stolen' | 'sql';

export interface ScriptedPayload extends Record<string, unknown> {
  action: Action;
  fooId?: number;
  ms?: number;
  retryDelayMs?: number;
  /** hang-first-runs: how many of the job's first runs hang until killed. */
  hangRuns?: number;
  /** hang-on-attempt: the attempts (1-based) on which the job hangs (until releaseFile exists). */
  hangAttempts?: number[];
  /** hang-first-runs: a file that gets a line (outside any transaction) as each run starts. */
  markFile?: string;
  /** hang-first-runs, hang-on-attempt: the job stops hanging (and succeeds) once this file exists. */
  releaseFile?: string;
  /** sleep-and-record: before sleeping, wait (up to 5 minutes) until this many jobs have
   * started, each leaving a file in meetDir: jobs that meet there ran at the same time,
   * however late a slow machine starts one of them. */
  meetDir?: string;
  peers?: number;
  /** allocate: how many MB to allocate and touch. */
  mb?: number;
  /** sql: statements to run in the job's transaction, one after another ($1 is the job's id
   * in a statement that mentions it). */
  sql?: string[];
  /** hang-on-attempt: a run that ends commits a row to job_run (as count does). */
  recordRun?: boolean;
  /** Treat JobTimeout as a retry error. */
  retryTimeouts?: boolean;
  /** notifyOops and notifyUserError throw (after recording that they were called). */
  notifyThrows?: boolean;
  /** crash: the message of the error thrown. */
  message?: string;
  /** The class's timeoutMs (the hard limit of an isolated run). */
  timeoutMs?: number;
}

export class ScriptedJob extends SimpleJob {
  static readonly notifiedOops: Array<{ jobId: number; oopsId: string }> = [];
  static readonly notifiedUserErrors: Array<{ jobId: number; message: string }> = [];

  override retryErrorTypes = [TemporaryProblem];
  override userErrorTypes = [BadRequest];
  override retryDelayMs = 60_000;

  constructor(job: Job) {
    super(job);
    const { retryDelayMs, retryTimeouts, timeoutMs } = this.payload as ScriptedPayload;
    if (typeof retryDelayMs === 'number') this.retryDelayMs = retryDelayMs;
    if (typeof timeoutMs === 'number') this.timeoutMs = timeoutMs;
    if (retryTimeouts) this.retryErrorTypes = [TemporaryProblem, JobTimeout];
  }

  override async run(manager: EntityManager): Promise<void> {
    const { action, fooId, ms, hangRuns, hangAttempts, markFile, releaseFile, meetDir, peers, mb, sql, recordRun } = this.payload as ScriptedPayload;
    const sleep = (duration: number) => new Promise((resolve) => setTimeout(resolve, duration));
    /** Poll until `done` or `boundMs` passes (a bound, so that a broken test ends). */
    const until = async (done: () => boolean, boundMs: number) => {
      const deadline = Date.now() + boundMs;
      while (!done() && Date.now() < deadline) await sleep(20);
    };
    switch (action) {
      case 'succeed':
        if (fooId !== undefined) await manager.query(`UPDATE foo SET some_attribute = 'done' WHERE id = $1`, [fooId]);
        return;
      case 'retry':
        throw new TemporaryProblem('the service is busy');
      case 'user-error':
        throw new BadRequest('the foo is not frozzlable');
      case 'suspend':
        throw new SuspendJob('waiting for the foo to thaw');
      case 'crash':
        throw new TypeError((this.payload as ScriptedPayload).message ?? 'cannot read properties of undefined');
      case 'write-then-crash':
        await manager.query(`UPDATE foo SET some_attribute = 'half-done' WHERE id = $1`, [fooId]);
        throw new Error('crashed after writing');
      case 'write-forbidden':
        // dofoo may update foo.some_attribute only, not foo.name.
        await manager.query(`UPDATE foo SET name = 'renamed' WHERE id = $1`, [fooId]);
        return;
      case 'record-role':
        await manager.query(`UPDATE foo SET some_attribute = current_user WHERE id = $1`, [fooId]);
        return;
      case 'sleep':
        await sleep(ms ?? 1000);
        return;
      case 'count':
        // The exactly-once tests count committed runs in a table of their own.
        await manager.query('INSERT INTO job_run (job, pid) VALUES ($1, $2)', [this.job.id, process.pid]);
        return;
      case 'hang-first-runs': {
        const runsBefore = existsSync(markFile!) ? readFileSync(markFile!, 'utf8').split('\n').length - 1 : 0;
        appendFileSync(markFile!, `${process.pid}\n`);
        if (runsBefore < (hangRuns ?? 1)) await until(() => releaseFile !== undefined && existsSync(releaseFile), 600_000);
        return;
      }
      // Poison: ways for a job's code to take its whole process down.
      case 'exit':
        process.exit(1);
      // eslint-disable-next-line no-fallthrough
      case 'throw-uncaught':
        setTimeout(() => {
          throw new RangeError('thrown in a timer, outside run()');
        }, 1);
        await sleep(ms ?? 200);
        return;
      case 'reject-unhandled':
        void Promise.reject(new SyntaxError('rejected, and nobody listened'));
        await sleep(ms ?? 200);
        return;
      case 'hang-on-attempt':
        if (hangAttempts?.includes(this.job.attemptCount)) {
          if (markFile) writeFileSync(markFile, String(process.pid));
          await until(() => releaseFile !== undefined && existsSync(releaseFile), 600_000);
        }
        if (recordRun) await manager.query('INSERT INTO job_run (job, pid) VALUES ($1, $2)', [this.job.id, process.pid]);
        return;
      case 'sleep-and-record': {
        const start = Date.now();
        if (meetDir) {
          mkdirSync(meetDir, { recursive: true });
          writeFileSync(join(meetDir, String(this.job.id)), '');
          await until(() => readdirSync(meetDir).length >= (peers ?? 2), 300_000);
        }
        await sleep(ms ?? 300);
        await manager.query('UPDATE job SET log = $2 WHERE id = $1', [this.job.id, JSON.stringify({ start, end: Date.now(), pid: process.pid })]);
        return;
      }
      case 'stolen': {
        // Another runner takes the job over while it runs (as if our lease had passed):
        // a separate connection commits the new owner at once.
        await manager.query(`UPDATE foo SET some_attribute = 'written by the loser' WHERE id = $1`, [fooId]);
        const thief = new pg.Client({ connectionString: (manager.connection.options as { url: string }).url });
        await thief.connect();
        await thief.query(`UPDATE job SET claimed_by = 'thief:1' WHERE id = $1`, [this.job.id]);
        await thief.end();
        return;
      }
      case 'sql':
        for (const statement of sql ?? []) await manager.query(statement, statement.includes('$1') ? [this.job.id] : []);
        return;
      case 'record-pid':
        await manager.query('UPDATE job SET log = $2 WHERE id = $1', [this.job.id, String(process.pid)]);
        return;
      case 'allocate': {
        const blocks: Buffer[] = [];
        for (let i = 0; i < (mb ?? 100); i++) blocks.push(Buffer.alloc(1024 * 1024, 1));
        await sleep(ms ?? 10_000);
        blocks.length = 0;
        return;
      }
    }
  }

  override async notifyOops(oops: OopsReport, logger: Logger): Promise<void> {
    ScriptedJob.notifiedOops.push({ jobId: this.job.id, oopsId: oops.id });
    if ((this.payload as ScriptedPayload).notifyThrows) throw new Error('the mail server refused the OOPS notice');
    await super.notifyOops(oops, logger);
  }

  override async notifyUserError(error: Error, logger: Logger): Promise<void> {
    ScriptedJob.notifiedUserErrors.push({ jobId: this.job.id, message: error.message });
    if ((this.payload as ScriptedPayload).notifyThrows) throw new Error('the mail server refused the user notice');
    await super.notifyUserError(error, logger);
  }
}

/** For config sections in tests: source_interface: tests.helpers.scriptedJob.IScriptedJobSource */
export const IScriptedJobSource = defineJobSource('IScriptedJobSource', async () => ScriptedJob);

/** The same source, declaring its job type: an empty run of its section is answered by the
 * probe. source_interface: tests.helpers.scriptedJob.IDeclaredScriptedJobSource */
export const IDeclaredScriptedJobSource = defineJobSource('IDeclaredScriptedJobSource', async () => ScriptedJob, { jobTypes: ['ScriptedJob'], jobName: 'ScriptedJob' });
