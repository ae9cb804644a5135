import { EntitySchema } from '../../../services/database/typeorm.ts';

/** The seed's example domain object. */
export class Foo {
  id!: number;
  name!: string;
  someAttribute: string | null = null;
}

export const FooEntity = new EntitySchema<Foo>({
  name: 'Foo',
  target: Foo,
  tableName: 'foo',
  columns: {
    id: { type: 'integer', primary: true, generated: true },
    name: { type: 'text' },
    someAttribute: { name: 'some_attribute', type: 'text', nullable: true },
  },
});
