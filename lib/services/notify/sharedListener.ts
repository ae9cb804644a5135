import { NotifyListener, type NotifyListenerOptions } from './listener.ts';

/** A hold on the shared listener: release() it when done (once; later calls do nothing). */
export interface ListenerLease {
  listener: NotifyListener;
  release(): void;
}

/**
 * One NotifyListener (one LISTEN connection) shared by every caller of a process that needs
 * events for a while, such as the HTTP server's event streams and waiting reads: it connects
 * when the first caller acquires it and closes when the last releases it, so a server with no
 * such client holds no LISTEN connection, and a thousand clients hold one.
 */
export class SharedNotifyListener {
  private current: Promise<NotifyListener> | undefined;
  private holders = 0;
  /** The close of the previous listener, which a new one waits for (no two at once). */
  private closing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: NotifyListenerOptions) {}

  /** How many leases are held now. */
  get holderCount(): number {
    return this.holders;
  }

  /** The listener, started (DatabaseUnavailable when it cannot connect). */
  async acquire(): Promise<ListenerLease> {
    if (this.closed) throw new Error('the shared notify listener is closed');
    this.holders += 1;
    if (!this.current) {
      const previous = this.closing;
      const starting = (async () => {
        await previous;
        const listener = new NotifyListener(this.options);
        await listener.start();
        return listener;
      })();
      this.current = starting;
      // A failed start is not kept: the next caller tries again.
      starting.catch(() => {
        if (this.current === starting) this.current = undefined;
      });
    }
    let listener: NotifyListener;
    try {
      listener = await this.current;
    } catch (error) {
      this.release();
      throw error;
    }
    let released = false;
    return {
      listener,
      release: () => {
        if (released) return;
        released = true;
        this.release();
      },
    };
  }

  private release(): void {
    this.holders -= 1;
    if (this.holders > 0 || !this.current) return;
    const last = this.current;
    this.current = undefined;
    this.closing = last.then((listener) => listener.close(), () => undefined);
  }

  /** Close the listener whatever the leases (the server is stopping); acquire() fails after. */
  async close(): Promise<void> {
    this.closed = true;
    const last = this.current;
    this.current = undefined;
    if (last) this.closing = last.then((listener) => listener.close(), () => undefined);
    await this.closing;
  }
}
