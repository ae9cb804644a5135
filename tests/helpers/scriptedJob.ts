// A job type whose behaviour is written in its payload, so the instance the runner builds
// behaves as the test asked (the seed warns against patching one's own instance).
import type { EntityManager } from 'typeorm';
import type { Job } from '../../lib/services/job/model/job.ts';
import type { OopsReport } from '../../lib/services/oops/report.ts';
import { SuspendJob } from '../../lib/services/job/interfaces/errors.ts';
import { SimpleJob } from '../../lib/services/job/simpleJob.ts';
import { defineJobSource } from '../../lib/services/job/sourceInterface.ts';
import type { Logger } from '../../lib/services/scripts/logger.ts';

export class TemporaryProblem extends Error {
  override name = 'TemporaryProblem';
}
export class BadRequest extends Error {
  override name = 'BadRequest';
}

export type Action = 'succeed' | 'retry' | 'user-error' | 'suspend' | 'crash' | 'write-then-crash' | 'write-forbidden' | 'record-role' | 'sleep';

export interface ScriptedPayload extends Record<string, unknown> {
  action: Action;
  fooId?: number;
  ms?: number;
  retryDelayMs?: number;
}

export class ScriptedJob extends SimpleJob {
  static readonly notifiedOops: Array<{ jobId: number; oopsId: string }> = [];
  static readonly notifiedUserErrors: Array<{ jobId: number; message: string }> = [];

  override retryErrorTypes = [TemporaryProblem];
  override userErrorTypes = [BadRequest];
  override retryDelayMs = 60_000;

  constructor(job: Job) {
    super(job);
    const { retryDelayMs } = this.payload as ScriptedPayload;
    if (typeof retryDelayMs === 'number') this.retryDelayMs = retryDelayMs;
  }

  override async run(manager: EntityManager): Promise<void> {
    const { action, fooId, ms } = this.payload as ScriptedPayload;
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
        throw new TypeError('cannot read properties of undefined');
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
        await new Promise((resolve) => setTimeout(resolve, ms ?? 1000));
        return;
    }
  }

  override async notifyOops(oops: OopsReport, logger: Logger): Promise<void> {
    ScriptedJob.notifiedOops.push({ jobId: this.job.id, oopsId: oops.id });
    await super.notifyOops(oops, logger);
  }

  override async notifyUserError(error: Error, logger: Logger): Promise<void> {
    ScriptedJob.notifiedUserErrors.push({ jobId: this.job.id, message: error.message });
    await super.notifyUserError(error, logger);
  }
}

/** For config sections in tests: source_interface: tests.helpers.scriptedJob.IScriptedJobSource */
export const IScriptedJobSource = defineJobSource('IScriptedJobSource', async () => ScriptedJob);
