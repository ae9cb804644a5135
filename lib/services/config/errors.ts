/** Anything wrong with configuration: the message is the one line an operator reads. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
