import type { BoardPayload } from '../notify/payload.ts';

/** What the board's listener hands on: a board event of this board, or a reconnection after
 * which anything may have happened. */
export type BoardSignal = BoardPayload | { kind: 'reconnected' };

/** Rejected (a stop asked for, for example) before the watch fired. */
export class WatchAborted extends Error {
  override name = 'WatchAborted';
}

/**
 * One wait for a board signal, registered *before* the caller looks at the database, so a
 * signal sent between that look and the wait is not missed.
 */
export class BoardWatch {
  private resolve!: () => void;
  private reject!: (error: Error) => void;
  private readonly fired: Promise<void>;

  constructor(
    private readonly accepts: (signal: BoardSignal) => boolean,
    private readonly unregister: (watch: BoardWatch) => void,
  ) {
    this.fired = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.fired.catch(() => undefined);
  }

  /** Called by the board for every signal. */
  offer(signal: BoardSignal): void {
    if (signal.kind === 'reconnected' || this.accepts(signal)) this.resolve();
  }

  /** Called by the board when it closes. */
  fail(error: Error): void {
    this.reject(error);
  }

  /** Resolve when the signal comes or `ms` pass (undefined: no limit); reject on abort or close. */
  async until(ms: number | undefined, signal?: AbortSignal): Promise<void> {
    // Before any timer: a throw here must leave nothing behind to keep the process alive.
    if (signal?.aborted) throw new WatchAborted('aborted');
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const waits: Array<Promise<void>> = [this.fired];
    if (ms !== undefined) waits.push(new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms)))));
    if (signal) {
      waits.push(new Promise<void>((_, reject) => {
        onAbort = () => reject(new WatchAborted('aborted'));
        signal.addEventListener('abort', onAbort, { once: true });
      }));
    }
    try {
      await Promise.race(waits);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal!.removeEventListener('abort', onAbort);
    }
  }

  cancel(): void {
    this.unregister(this);
  }
}
