// Connections (pg clients) and pools that must not use named prepared statements: those
// that reach PostgreSQL through a transaction-mode pooler. A named statement is prepared on
// one server connection, and the pooler may run the next transaction on another, where it
// does not exist (or where another client already prepared the same name). PgBouncer before
// 1.21 cannot carry them; the unnamed statement is parsed again with every query instead.
const unnamed = new WeakSet<object>();

/** Whether statements on this client or pool are named (no transaction-mode pooler between). */
export function namedStatementsOn(target: object): boolean {
  return !unnamed.has(target);
}

/** From now on, send statements on this client or pool unnamed. */
export function sendUnnamedStatements(target: object): void {
  unnamed.add(target);
}

// A named statement's plan is made once per connection (PostgreSQL's generic plan, from the
// sixth execution on) and kept until the table's statistics change (ANALYZE, VACUUM). Made
// while the job table is nearly empty (a new installation: VACUUM saw no rows), that plan
// reads the whole table (a sequential scan costs nothing on an empty table), and keeps doing
// so as the table grows, until autovacuum next visits it, a minute or more later: a claim
// that took 0.1 ms took 0.3 ms after 2,000 jobs. So the statements are prepared again, under
// new names, each time the largest job id seen has doubled past 1,000 (ids only grow, so the
// table cannot have grown by more than that since): about 20 times over a billion jobs.
let planGeneration = 0;
const FIRST_REPLAN_AT_ID = 1000;

/** A job id seen by a hot-path statement (the claim's): plans are made again as ids grow. */
export function noteJobId(id: number): void {
  if (id < FIRST_REPLAN_AT_ID) return;
  const generation = Math.floor(Math.log2(id / FIRST_REPLAN_AT_ID)) + 1;
  if (generation > planGeneration) planGeneration = generation;
}

/** A pg query config for one hot-path statement on `target`: named (prepared once per
 * connection and plan generation) unless `target` reaches the server through a
 * transaction-mode pooler, or `name` is null (a statement to be planned for its values). */
export function statementConfig(target: object, name: string | null, text: string, values: unknown[]): { name?: string; text: string; values: unknown[] } {
  return name === null || unnamed.has(target) ? { text, values } : { name: planGeneration === 0 ? name : `${name}_${planGeneration}`, text, values };
}
