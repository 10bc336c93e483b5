import { randomBytes } from 'node:crypto';
import { lockKey, storeKey } from '../client/key-space.js';
import type { SafeStore } from '../client/safe-store.js';
import type { TwoTiers } from '../tiers/two-tiers.js';

/**
 * First pause between two reads of a waiter, doubled up to the longest. 10 ms at most: with a
 * 50 ms loader, waiters that slept up to 40 ms found its value 25 ms late on average (a
 * distributed stampede took 1.55× a single process's); at 10 ms, 1.17×, for about two more reads
 * per waiting process per load.
 */
const FIRST_POLL_MS = 5;
const LONGEST_POLL_MS = 10;

/** A lock held by this process: released with the token it was taken with. */
export interface Lease {
  readonly key: string;
  readonly token: string;
}

/**
 * The lock of `lock: 'distributed'`: one app server loads a missing key while the others wait
 * for its result in the shared store. Taken with `add` (Redis `SET NX PX`, memcached `add`) under
 * a random token and a lease, so that it expires if its holder dies; released by a
 * compare-and-delete, so that a holder never releases a lock that expired and was taken by
 * another. About efficiency, never correctness: whoever cannot tell (store down, wait over)
 * loads itself.
 */
export class DistributedLock {
  constructor(
    private readonly store: SafeStore,
    private readonly tiers: TwoTiers | undefined,
  ) {}

  /**
   * `Lease`: ours, load and release it. `'held'`: another app server is loading. `undefined`: the
   * store could not say (load without the lock).
   */
  async acquire(key: string, leaseMs: number): Promise<Lease | 'held' | undefined> {
    const token = randomBytes(12).toString('base64url');
    const lock = lockKey(key);
    const taken = await this.store.add(lock, token, leaseMs);
    if (taken === undefined) return undefined;
    return taken ? { key: lock, token } : 'held';
  }

  /** Never rejects; a lease not released expires by itself. */
  async release(lease: Lease): Promise<void> {
    await this.store.deleteIfEquals(lease.key, lease.token);
  }

  /**
   * Waits until the value of `key` is in the store (`'stored'`), the lock is gone without it
   * (`'free'`: its holder failed, the caller may take it), or `ms` pass (`'late'`). One read of
   * both keys per check, straight from the store (a poll is not a caller: it counts as no hit or
   * miss). Wakes at once when the bus announces the key (the holder's write), otherwise polls:
   * 5 ms, then every 10 ms.
   */
  async waitFor(key: string, ms: number): Promise<'stored' | 'free' | 'late'> {
    const deadline = Date.now() + ms;
    let pause = FIRST_POLL_MS;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) return 'late';
      await this.nextCheck(key, Math.min(pause, left));
      const found = await this.store.getMany([storeKey(key), lockKey(key)]);
      if (found?.[0] !== undefined) return 'stored';
      if (found && found[1] === undefined) return 'free';
      pause = Math.min(pause * 2, LONGEST_POLL_MS);
    }
  }

  /** Whether the store holds a value for `key` now, read raw (counts as no hit or miss). */
  async stored(key: string): Promise<boolean> {
    const found = await this.store.getMany([storeKey(key)]);
    return found?.[0] !== undefined;
  }

  private nextCheck(key: string, ms: number): Promise<void> {
    if (this.tiers) return this.tiers.changeOf(key, ms);
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}
