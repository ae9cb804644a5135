import type { DataSource } from 'typeorm';
import { toError } from '../job/interfaces/errors.ts';
import type { Logger } from '../scripts/logger.ts';
import { renewBoardClaims } from './sql/renewBoardClaims.ts';

/**
 * The claims one process holds, and the timer that renews their leases while the process
 * lives. When the process dies the renewals stop and each claim lapses within the lease:
 * the job is claimable again (TaskFlow's ZooKeeper board gets the same from ephemeral nodes).
 */
export class ClaimRenewer {
  private readonly held = new Map<number, string>();
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  private failing = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly leaseMs: number,
    private readonly everyMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    // unref: the renewals alone do not keep a process alive that has nothing else to do.
    this.timer = setInterval(() => void this.renew(), this.everyMs);
    this.timer.unref();
  }

  hold(id: number, who: string): void {
    this.held.set(id, who);
  }

  /** Stop renewing `who`'s claim on job `id` (another owner's claim on it is kept). */
  release(id: number, who: string): void {
    if (this.held.get(id) === who) this.held.delete(id);
  }

  /** The claims held, as [id, who]. */
  claims(): Array<[number, string]> {
    return [...this.held];
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.renewing;
  }

  private renew(): Promise<void> {
    if (this.renewing || this.held.size === 0) return this.renewing ?? Promise.resolve();
    const claims = this.claims();
    this.renewing = (async () => {
      try {
        const kept = new Set(await renewBoardClaims(this.dataSource.manager, claims.map(([id]) => id), claims.map(([, who]) => who), this.leaseMs));
        for (const [id, who] of claims) {
          // Consumed or abandoned meanwhile, or lapsed (this process was stalled past its lease).
          if (!kept.has(id) && this.held.get(id) === who) {
            this.held.delete(id);
            this.logger.info(`Board job ${id}: the claim of ${who} has lapsed.`);
          }
        }
        if (this.failing) this.logger.info('Board claims renewed again.');
        this.failing = false;
      } catch (error) {
        // One line per outage; the next tick tries again, and claims lapse if it lasts.
        if (!this.failing) this.logger.warning(`Could not renew board claims (they lapse if this lasts): ${toError(error).message}`);
        this.failing = true;
      } finally {
        this.renewing = undefined;
      }
    })();
    return this.renewing;
  }
}
