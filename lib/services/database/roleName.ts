import { ConfigError } from '../config/errors.ts';

const ROLE_NAME = /^[a-z_][a-z0-9_]*$/;

/** A section's dbuser (or dblogin) must be a plain role name: it goes into SET ROLE, a
 * startup option and a URL. */
export function checkRoleName(role: string, key = 'dbuser'): void {
  if (!ROLE_NAME.test(role)) throw new ConfigError(`${key} '${role}' is not a valid role name (lower-case letters, digits, _)`);
}
