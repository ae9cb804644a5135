import type { EntityManager } from 'typeorm';
import { FooJobType, type IDoFooJob } from '../interfaces/foojob.ts';
import { FooEntity } from './foo.ts';
import { FooJobDerived } from './foojob.ts';

/** Frozzles a Foo. Run by `cronscripts/run_jobs.ts do_foo` or `cronscripts/do-foo.ts`. */
export class DoFooJob extends FooJobDerived implements IDoFooJob {
  static override readonly classJobType = FooJobType.DO_FOO;

  override async run(manager: EntityManager): Promise<void> {
    await manager.update(FooEntity, { id: this.foo.id }, { someAttribute: 'frozzled' });
    this.foo.someAttribute = 'frozzled';
  }

  override getOperationDescription(): string {
    return `frozzling Foo '${this.foo.name}'`;
  }
}
