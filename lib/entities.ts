import type { EntitySchema } from 'typeorm';
import { JobEntity } from './services/job/model/job.ts';
import { FooEntity } from './component/foo/model/foo.ts';
import { FooJobEntity } from './component/foo/model/foojob.ts';
import { InstanceEntity } from './component/instances/model/instance.ts';

/** Every TypeORM entity of the application. Add a new job type's entities here. */
export const ENTITIES: EntitySchema<any>[] = [JobEntity, FooEntity, FooJobEntity, InstanceEntity];
