import type { Client } from 'memjs';
import { KetamaRing, type KetamaServer } from './ketama-ring.js';

/** Temporary removal of a failing server from the ring (twemproxy's `auto_eject_hosts`). */
export interface EjectionPolicy {
  /** Consecutive failures that eject a server; `0` never ejects. */
  afterFailures: number;
  /** How long an ejected server stays out before it is tried again. */
  retryAfterMs: number;
}

/** What a server connection reports about itself. */
export interface ServerHealth {
  /** A connection or request to the server failed (refused, reset, timed out). */
  failed(): void;
  /** The server answered. */
  succeeded(): void;
}

/** Told when a server leaves or rejoins the ring. */
export type RingChangeListener = (event: 'ejected' | 'readmitted', server: number) => void;

/**
 * Picks the server of every key on a ketama ring of the pool. Without ejection the ring never
 * changes: a dead server's keys fail (and read as misses above), every other key stays where it
 * is. With ejection, `afterFailures` consecutive failures of one server take it off the ring for
 * `retryAfterMs` (its keys move to the next points: the other servers), then it is put back and
 * its keys return to it. The last server on the ring is never ejected.
 */
export class KetamaServerSelector {
  private readonly full: KetamaRing;
  private current: KetamaRing;
  private readonly failures: number[];
  /** When each ejected server rejoins (ms since epoch); `0` for a server on the ring. */
  private readonly ejectedUntil: number[];
  private nextReadmission = Infinity;

  constructor(
    private readonly servers: readonly KetamaServer[],
    private readonly ejection: EjectionPolicy = { afterFailures: 0, retryAfterMs: 0 },
    private readonly onChange?: RingChangeListener,
    private readonly now: () => number = Date.now,
  ) {
    this.full = new KetamaRing(servers);
    this.current = this.full;
    this.failures = servers.map(() => 0);
    this.ejectedUntil = servers.map(() => 0);
  }

  /** Index, in the pool, of the server that holds `key` now. */
  serverFor(key: string): number {
    if (this.now() >= this.nextReadmission) this.readmitDue();
    if (this.current === this.full) return this.full.serverFor(key);
    return this.current.serverFor(key);
  }

  /** The health listener of server `index`. */
  healthOf(index: number): ServerHealth {
    return {
      failed: () => this.failed(index),
      succeeded: () => void (this.failures[index] = 0),
    };
  }

  /** Indexes of the servers off the ring now. */
  ejected(): number[] {
    if (this.now() >= this.nextReadmission) this.readmitDue();
    return this.ejectedUntil.flatMap((until, i) => (until > 0 ? [i] : []));
  }

  private failed(index: number): void {
    const { afterFailures, retryAfterMs } = this.ejection;
    if (afterFailures <= 0 || this.ejectedUntil[index] > 0) return;
    if (++this.failures[index] < afterFailures) return;
    if (this.ejected().length >= this.servers.length - 1) return;
    this.failures[index] = 0;
    this.ejectedUntil[index] = this.now() + retryAfterMs;
    this.nextReadmission = Math.min(this.nextReadmission, this.ejectedUntil[index]);
    this.rebuild();
    this.onChange?.('ejected', index);
  }

  private readmitDue(): void {
    const now = this.now();
    const readmitted: number[] = [];
    this.nextReadmission = Infinity;
    this.ejectedUntil.forEach((until, i) => {
      if (until === 0) return;
      if (until <= now) {
        this.ejectedUntil[i] = 0;
        readmitted.push(i);
      } else this.nextReadmission = Math.min(this.nextReadmission, until);
    });
    if (readmitted.length === 0) return;
    this.rebuild();
    for (const index of readmitted) this.onChange?.('readmitted', index);
  }

  private rebuild(): void {
    const members = this.servers.flatMap((_, i) => (this.ejectedUntil[i] > 0 ? [] : [i]));
    this.current =
      members.length === this.servers.length ? this.full : new KetamaRing(this.servers, members);
  }
}

/**
 * Routes every key of `client` with `selector`. memjs documents `getServer` as the method to
 * override for server selection; its typings declare the wrong return type, hence the assign.
 */
export function useServerSelector(client: Client, selector: KetamaServerSelector): void {
  Object.assign(client, { getServer: (key: string) => selector.serverFor(key) });
}

/** The index, in `client.servers`, of the server memjs sends `key` to. */
export function serverIndexOf(client: Client, key: string): number {
  return client.servers.length > 1 ? Number(client.getServer(key)) : 0;
}
