// TypeORM's values, loaded with require(). Its ESM entry (index.mjs) makes Node lex the
// CommonJS index and every module it re-exports for named exports, which costs a run
// 50-90 ms at start-up for nothing; require() skips that. Types still come from 'typeorm'.
import { createRequire } from 'node:module';
import type * as TypeORM from 'typeorm';

const typeorm = createRequire(import.meta.url)('typeorm') as typeof TypeORM;

export const DataSource = typeorm.DataSource;
export type DataSource = TypeORM.DataSource;
export const EntitySchema = typeorm.EntitySchema;
export type EntitySchema<T> = TypeORM.EntitySchema<T>;
export const In = typeorm.In;
