// Multi-step test jobs: every step records that it ran (table step_log, in the step's own
// transaction) and appends to the workspace's trail, so tests can see which steps ran, how
// often, and what each step was given.
import { existsSync } from 'node:fs';
import type { EntityManager } from 'typeorm';
import type { Job } from '../../lib/services/job/model/job.ts';
import { defineJobSource } from '../../lib/services/job/sourceInterface.ts';
import { defineTaskJobs } from '../../lib/services/tasks/taskJobs.ts';
import type { Workspace } from '../../lib/services/tasks/workspace.ts';

export class StepRetry extends Error {
  override name = 'StepRetry';
}

export class StepUserError extends Error {
  override name = 'StepUserError';
}

export const STEP_LOG_TABLE = `CREATE TABLE IF NOT EXISTS step_log (
  job bigint NOT NULL, step integer NOT NULL, seen jsonb NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`;

function recordingStep(step: number) {
  return async (job: Job, workspace: Workspace, manager: EntityManager): Promise<void> => {
    await manager.query('INSERT INTO step_log (job, step, seen) VALUES ($1, $2, $3)', [job.id, step, JSON.stringify(workspace)]);
    workspace.trail = [...((workspace.trail as string[] | undefined) ?? []), `step${step}`];
    // Blocks while the named file exists: a test kills the runner meanwhile.
    if (workspace.block_at === step && typeof workspace.block_file === 'string') {
      while (existsSync(workspace.block_file)) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (workspace.fail_at === step) throw new Error(`step ${step} failed`);
    if (workspace.user_error_at === step) throw new StepUserError(`step ${step} refused`);
    // The first try of the step fails with a retry error (its step_log row rolls back with it).
    if (workspace.retry_at === step && job.attemptCount === 1) throw new StepRetry(`step ${step}: try again`);
  };
}

const steps = [recordingStep(1), recordingStep(2), recordingStep(3)];

export const stepJobs = defineTaskJobs({
  three_steps: {
    tasks: steps,
    maxRetries: 1,
    retryErrorTypes: [StepRetry],
    userErrorTypes: [StepUserError],
    retryDelayMs: 0,
    onCreate: (job, workspace) => {
      workspace.created_id = job.id;
    },
    onFailure: (job, workspace, error) => {
      workspace.failed_step = job.step + 1;
      workspace.failure = error.message;
    },
  },
  hook_throws: {
    tasks: steps,
    onCreate: (job) => {
      if (job.queueName === 'refused') throw new Error('creation refused');
    },
    onFailure: async (job, workspace, _error, manager) => {
      await manager.query('INSERT INTO step_log (job, step, seen) VALUES ($1, -1, $2)', [job.id, JSON.stringify(workspace)]);
      workspace.hook_ran = true;
      throw new Error('failure hook broke');
    },
  },
});

export const IStepJobSource = defineJobSource('IStepJobSource', async () => stepJobs, { jobTypes: ['three_steps', 'hook_throws'], jobName: 'three_steps, hook_throws' });
