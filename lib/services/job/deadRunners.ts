import { hostname } from 'node:os';
import { processAlive } from '../processAlive.ts';

let host: string | undefined;

/** What every runner owner of this host starts with: job.claimed_by is "host:pid". The host
 * name is read once per process (a system call: a worker makes a runner on every wake-up). */
export function thisHostPrefix(): string {
  host ??= hostname();
  return `${host}:`;
}

/** The default runner owner of this process: "host:pid". */
export function thisProcessOwner(): string {
  return `${thisHostPrefix()}${process.pid}`;
}

/**
 * Of some owners ("host:pid") of this host, those whose process is gone: their runners died
 * for certain, so their jobs need not wait for the lease to pass (a lease covers a runner on
 * another host, whose death cannot be seen from here). A pid taken again by another process
 * looks alive, and its jobs then wait for their lease, as before. This assumes a host name
 * names one process namespace (as it does for hosts, containers and pods with their own names).
 */
export function deadOwners(owners: readonly string[], self: string = thisProcessOwner()): string[] {
  const prefix = thisHostPrefix();
  return owners.filter((owner) => {
    if (owner === self || !owner.startsWith(prefix)) return false;
    const pid = owner.slice(prefix.length);
    return /^[1-9]\d*$/.test(pid) && !processAlive(Number(pid));
  });
}
