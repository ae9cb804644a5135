// Output a test expects (a script's WARNING and ERROR lines) is kept and asserted on, not
// printed among the test results.

/** Run `fn` while everything written to process.stderr is kept instead of printed. */
export async function captureStderr<T>(fn: () => Promise<T>): Promise<{ value: T; stderr: string }> {
  const stream = process.stderr;
  const write = stream.write;
  let stderr = '';
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const callback = rest.find((arg): arg is (error?: Error | null) => void => typeof arg === 'function');
    callback?.();
    return true;
  }) as typeof stream.write;
  try {
    return { value: await fn(), stderr };
  } finally {
    stream.write = write;
  }
}
