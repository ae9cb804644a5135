import { redactSecrets } from '../oops/redact.ts';

/** The longest summary job.last_error keeps. */
export const ERROR_SUMMARY_MAX = 500;

/**
 * An error in one line, `Name: message`, for job.last_error: whitespace runs (newlines
 * included) become one space, secrets are masked as in OOPS reports, and the result is cut
 * to ERROR_SUMMARY_MAX characters (ending in "…" when cut).
 */
export function errorSummary(error: Error): string {
  const name = error.name || error.constructor.name || 'Error';
  const line = redactSecrets(`${name}: ${error.message}`).replace(/\s+/g, ' ').trim();
  return line.length <= ERROR_SUMMARY_MAX ? line : `${line.slice(0, ERROR_SUMMARY_MAX - 1)}…`;
}
