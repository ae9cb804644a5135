// Jobs on resources for tests: a 'slot' resource type that always exists, whose jobs record
// when they ran (table resource_run, made by the test), and an instance job that holds its
// uncommitted write until a file appears (for reads during a job).
import { existsSync } from 'node:fs';
import type { EntityManager } from 'typeorm';
import { instanceType } from '../../lib/component/instances/model/instance.ts';
import { CreateInstanceJob, DeleteInstanceJob, UpgradeInstanceJob } from '../../lib/component/instances/instanceJobs.ts';
import { defineJobSource } from '../../lib/services/job/sourceInterface.ts';
import { ResourceJob } from '../../lib/services/resources/resourceJob.ts';
import { defineResourceJobs, type ResourceJobSource } from '../../lib/services/resources/resourceJobSource.ts';
import { ResourceOption } from '../../lib/services/resources/resourceOptions.ts';
import { registerResourceType } from '../../lib/services/resources/resourceTypes.ts';

export const RESOURCE_RUN_TABLE = `CREATE TABLE IF NOT EXISTS resource_run (
  job_id bigint PRIMARY KEY, resource_name text NOT NULL, pid integer NOT NULL,
  started timestamptz NOT NULL, ended timestamptz NOT NULL)`;

export const slotType = registerResourceType<{ name: string }>({
  name: 'slot',
  title: 'Slot',
  exists: async () => true,
  read: async (name) => ({ name }),
  list: async () => [],
});

/** Records its run: the server's clock before and after a pause of payload.ms (work, not a wait). */
export class SlotJob extends ResourceJob {
  static override resourceType = slotType;
  static override resourceOptions = [ResourceOption.UPDATE];

  async perform(manager: EntityManager): Promise<{ slot: string }> {
    const ms = Number(this.args.ms ?? 0);
    const [{ started }]: Array<{ started: Date }> = await manager.query('SELECT clock_timestamp() AS started');
    if (ms > 0) await manager.query('SELECT pg_sleep($1)', [ms / 1000]);
    await manager.query('INSERT INTO resource_run (job_id, resource_name, pid, started, ended) VALUES ($1, $2, pg_backend_pid(), $3, clock_timestamp())', [this.job.id, this.resourceName, started]);
    return { slot: this.resourceName };
  }
}

/** Upgrades an instance, then keeps its transaction open until payload.releaseFile exists
 * (at most two minutes), so its write is uncommitted meanwhile. */
export class HoldingUpgradeJob extends ResourceJob {
  static override resourceType = instanceType;
  static override resourceOptions = [ResourceOption.UPDATE];

  async perform(manager: EntityManager): Promise<{ version: string }> {
    const version = String(this.args.version);
    await manager.query('UPDATE instance SET version = $2 WHERE name = $1', [this.resourceName, version]);
    const deadline = Date.now() + 120_000;
    while (!existsSync(String(this.args.releaseFile)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    return { version };
  }
}

export const testResourceJobs = defineResourceJobs('TestResourceJob', [SlotJob, HoldingUpgradeJob, CreateInstanceJob, UpgradeInstanceJob, DeleteInstanceJob]);

export const ITestResourceJobSource = defineJobSource<ResourceJobSource>('ITestResourceJobSource', async () => testResourceJobs);
