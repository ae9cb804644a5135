// Connections (pg clients) and pools that must not use named prepared statements: those
// that reach PostgreSQL through a transaction-mode pooler. A named statement is prepared on
// one server connection, and the pooler may run the next transaction on another, where it
// does not exist (or where another client already prepared the same name). PgBouncer before
// 1.21 cannot carry them; the unnamed statement is parsed again with every query instead.
const unnamed = new WeakSet<object>();

/** From now on, send statements on this client or pool unnamed. */
export function sendUnnamedStatements(target: object): void {
  unnamed.add(target);
}

/** A pg query config for one hot-path statement on `target`: named (prepared once per
 * connection) unless `target` reaches the server through a transaction-mode pooler. */
export function statementConfig(target: object, name: string, text: string, values: unknown[]): { name?: string; text: string; values: unknown[] } {
  return unnamed.has(target) ? { text, values } : { name, text, values };
}
