import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/errors.ts';
import { registerSecret } from '../oops/redact.ts';

/** What a token may do: read-only reads everything and changes nothing; admin also changes. */
export const SCOPES = ['read-only', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** A configured bearer token: its name (for logs) and scope; the token itself only as a digest. */
export interface ApiToken {
  name: string;
  scope: Scope;
  /** SHA-256 of the token: every comparison is between two 32-byte digests. */
  digest: Buffer;
}

/** Tokens shorter than this are refused at start-up: a guessable token is no protection. */
export const MIN_TOKEN_LENGTH = 16;

function digestOf(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** `{name, scope, token}` -> an ApiToken; the token is registered to be masked in every log line. */
export function makeApiToken(name: string, scope: Scope, token: string): ApiToken {
  registerSecret(token);
  return { name, scope, digest: digestOf(token) };
}

function readSource(spec: string, source: string, env: NodeJS.ProcessEnv): string {
  if (source.startsWith('env:')) {
    const variable = source.slice(4);
    const value = env[variable];
    if (value === undefined || value.trim() === '') throw new ConfigError(`[jobs_api] tokens: ${spec}: the environment variable ${variable} is not set or empty`);
    return value.trim();
  }
  if (source.startsWith('file:')) {
    const path = source.slice(5);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new ConfigError(`[jobs_api] tokens: ${spec}: cannot read the token file ${path} (${(error as NodeJS.ErrnoException).code ?? 'unknown'})`);
    }
    const line = text.split('\n')[0]!.trim();
    if (line === '') throw new ConfigError(`[jobs_api] tokens: ${spec}: the token file ${path} is empty`);
    return line;
  }
  throw new ConfigError(`[jobs_api] tokens: ${spec}: the source must be env:VARIABLE or file:/path, not '${source}'`);
}

/**
 * The tokens of `[jobs_api] tokens` (NAME:SCOPE:SOURCE, ...), read from their files and
 * environment variables. Every problem is one ConfigError naming the entry (never the token).
 */
export function loadApiTokens(specs: readonly string[], env: NodeJS.ProcessEnv = process.env): ApiToken[] {
  if (specs.length === 0) throw new ConfigError('[jobs_api] tokens is empty: name at least one token as NAME:SCOPE:SOURCE, e.g. ops:admin:file:/etc/jobsystem/ops.token');
  const tokens: ApiToken[] = [];
  const names = new Set<string>();
  for (const spec of specs) {
    const match = /^([A-Za-z0-9_.-]+):([a-z-]+):(.+)$/.exec(spec);
    if (!match) throw new ConfigError(`[jobs_api] tokens: '${spec}' is not NAME:SCOPE:SOURCE (e.g. ops:admin:env:JOBS_API_OPS_TOKEN)`);
    const [, name, scope, source] = match as unknown as [string, string, string, string];
    if (!(SCOPES as readonly string[]).includes(scope)) throw new ConfigError(`[jobs_api] tokens: ${name}: the scope must be ${SCOPES.join(' or ')}, not '${scope}'`);
    if (names.has(name)) throw new ConfigError(`[jobs_api] tokens: the name ${name} is used twice`);
    names.add(name);
    const token = readSource(name, source, env);
    if (token.length < MIN_TOKEN_LENGTH) throw new ConfigError(`[jobs_api] tokens: ${name}: the token is shorter than ${MIN_TOKEN_LENGTH} characters (make one with: openssl rand -hex 32)`);
    if (/\s/.test(token)) throw new ConfigError(`[jobs_api] tokens: ${name}: the token contains white space`);
    tokens.push(makeApiToken(name, scope as Scope, token));
  }
  const digests = new Set(tokens.map((token) => token.digest.toString('hex')));
  if (digests.size !== tokens.length) throw new ConfigError('[jobs_api] tokens: two entries have the same token; give each client its own');
  return tokens;
}

/** Compares two equal-length buffers in time that does not depend on where they differ. */
export type ConstantTimeEqual = (a: Buffer, b: Buffer) => boolean;

/**
 * The configured token equal to `presented`, or undefined. The presented token is hashed
 * first, so every comparison is timingSafeEqual over two 32-byte digests (it refuses buffers
 * of unequal length, and comparing raw tokens would leak their length); and every configured
 * token is compared, with no early exit, so the time does not say which one matched.
 */
export function matchToken(presented: string, tokens: readonly ApiToken[], equal: ConstantTimeEqual = timingSafeEqual): ApiToken | undefined {
  const digest = digestOf(presented);
  let found: ApiToken | undefined;
  for (const token of tokens) {
    if (equal(digest, token.digest) && found === undefined) found = token;
  }
  return found;
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
