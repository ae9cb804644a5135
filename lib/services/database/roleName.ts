import { ConfigError } from '../config/errors.ts';

const ROLE_NAME = /^[a-z_][a-z0-9_]*$/;

/** A section's dbuser must be a plain role name: it goes into SET ROLE and a startup option. */
export function checkRoleName(role: string): void {
  if (!ROLE_NAME.test(role)) throw new ConfigError(`dbuser '${role}' is not a valid role name (lower-case letters, digits, _)`);
}
