// The example multi-step job of the django-db-queue seed: import_cats, three tasks that pass
// their results on in the job's workspace. Create one with
//   cronscripts/create_job.ts import_cats --workspace '{"names": ["Tom", " felix "]}'
// and run its steps with cronscripts/run_jobs.ts import_cats (one step per run and claim).
import type { EntityManager } from 'typeorm';
import type { Job } from '../../services/job/model/job.ts';
import { defineTaskJobs } from '../../services/tasks/taskJobs.ts';
import type { Workspace } from '../../services/tasks/workspace.ts';

const DEFAULT_NAMES = ['Tom', 'Felix', 'Garfield'];

/** Step 1: fetch the cats to import (here: the names given in the workspace, or a default list). */
export function stepOne(_job: Job, workspace: Workspace): void {
  const names = Array.isArray(workspace.names) ? workspace.names : DEFAULT_NAMES;
  workspace.fetched = names.map(String);
}

/** Step 2: clean what step 1 fetched: trimmed, capitalised, without duplicates. */
export function stepTwo(_job: Job, workspace: Workspace): void {
  const fetched = workspace.fetched as string[];
  const cleaned = fetched.map((name) => name.trim()).filter((name) => name !== '').map((name) => name[0]!.toUpperCase() + name.slice(1).toLowerCase());
  workspace.cleaned = [...new Set(cleaned)];
}

/** Step 3: import them (here: count them and say so, read from the database's clock). */
export async function stepThree(_job: Job, workspace: Workspace, manager: EntityManager): Promise<void> {
  const [{ now }] = (await manager.query('SELECT now() AS now')) as Array<{ now: Date }>;
  workspace.imported = (workspace.cleaned as string[]).length;
  workspace.imported_at = now.toISOString();
}

/** Creation hook: stamps who asked, with the job's id. */
export function onCreate(job: Job, workspace: Workspace): void {
  workspace.request = `import_cats job ${job.id}`;
}

/** Failure hook: leaves the reason in the workspace, saved with FAILED. */
export function onFailure(job: Job, workspace: Workspace, error: Error): void {
  workspace.failed_at_step = job.step + 1;
  workspace.failure = error.message;
}

export const catJobs = defineTaskJobs({
  import_cats: {
    tasks: [stepOne, stepTwo, stepThree],
    onCreate,
    onFailure,
    workspaceSchema: {
      type: 'object',
      properties: { names: { type: 'array', items: { type: 'string', maxLength: 200 }, maxItems: 1000, description: 'The cats to import (default: Tom, Felix, Garfield)' } },
      additionalProperties: false,
    },
  },
});
