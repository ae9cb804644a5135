import type { EntityManager } from 'typeorm';
import { EntitySchema } from '../../../services/database/typeorm.ts';
import { registerResourceType } from '../../../services/resources/resourceTypes.ts';

/** An instance (table `instance`): the example resource that jobs create, upgrade and delete. */
export class Instance {
  name!: string;
  version!: string;
  dateCreated!: Date;
  dateUpgraded: Date | null = null;
}

export const InstanceEntity = new EntitySchema<Instance>({
  name: 'Instance',
  target: Instance,
  tableName: 'instance',
  columns: {
    name: { type: 'text', primary: true },
    version: { type: 'text' },
    dateCreated: { name: 'date_created', type: 'timestamptz', createDate: true },
    dateUpgraded: { name: 'date_upgraded', type: 'timestamptz', nullable: true },
  },
});

/** What a read of an instance returns. */
export interface InstanceState {
  name: string;
  version: string;
}

/** The resource type 'instance', registered when this module is loaded. */
export const instanceType = registerResourceType<InstanceState>({
  name: 'instance',
  title: 'Instance',
  async exists(name: string, manager: EntityManager): Promise<boolean> {
    const rows: unknown[] = await manager.query('SELECT 1 FROM instance WHERE name = $1', [name]);
    return rows.length > 0;
  },
  async read(name: string, manager: EntityManager): Promise<InstanceState | undefined> {
    const [row]: InstanceState[] = await manager.query('SELECT name, version FROM instance WHERE name = $1', [name]);
    return row;
  },
  async list(manager: EntityManager): Promise<InstanceState[]> {
    return manager.query('SELECT name, version FROM instance ORDER BY name COLLATE "C"');
  },
});
