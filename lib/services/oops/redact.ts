// No password or secret from configuration may reach a report or a log line.
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]*):([^@/?#\s]+)@/gi;
const KEY_VALUE_SECRET = /\b(password|passwd|pwd|secret|token|api_key)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&;,]+)/gi;

const extraSecrets = new Set<string>();

/** Register a value (a password read from configuration) to be masked wherever it appears. */
export function registerSecret(value: string): void {
  if (value.length >= 4) extraSecrets.add(value);
}

/** Mask passwords in URLs, `password=...` pairs and registered secrets. */
export function redactSecrets(text: string): string {
  let result = text.replace(URL_PASSWORD, '$1:***@').replace(KEY_VALUE_SECRET, '$1$2***');
  for (const secret of extraSecrets) result = result.split(secret).join('***');
  return result;
}
