import { randomBytes } from 'node:crypto';
import { lockKey } from '../client/key-space.js';
import type { SafeStore } from '../client/safe-store.js';
import type { TwoTiers } from '../tiers/two-tiers.js';

/** First pause between two reads of a waiter; doubled up to the longest. */
const FIRST_POLL_MS = 5;
const LONGEST_POLL_MS = 50;

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
    const taken = await this.store.add(lockKey(key), token, leaseMs);
    if (taken === undefined) return undefined;
    return taken ? { key: lockKey(key), token } : 'held';
  }

  /** Never rejects; a lease not released expires by itself. */
  async release(lease: Lease): Promise<void> {
    await this.store.deleteIfEquals(lease.key, lease.token);
  }

  /**
   * Reads `key` until `read` finds it, the lock is gone (its holder failed: the caller may try to
   * take it), or `ms` pass; answers what the last read found. Wakes at once when the bus announces
   * the key (the holder's write), otherwise polls: 5 ms, then twice as long each time up to 50 ms.
   */
  async waitFor<T>(
    key: string,
    ms: number,
    read: () => Promise<T>,
    found: (result: T) => boolean,
  ): Promise<T> {
    const deadline = Date.now() + ms;
    let pause = FIRST_POLL_MS;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) return read();
      await this.nextCheck(key, Math.min(pause, left));
      const [result, held] = await Promise.all([read(), this.isHeld(key)]);
      if (found(result) || !held) return result;
      pause = Math.min(pause * 2, LONGEST_POLL_MS);
    }
  }

  /** Whether someone holds the lock of `key` now (a store that cannot say: assume so). */
  private async isHeld(key: string): Promise<boolean> {
    const holder = await this.store.getMany([lockKey(key)]);
    return holder === undefined || holder[0] !== undefined;
  }

  private nextCheck(key: string, ms: number): Promise<void> {
    if (this.tiers) return this.tiers.changeOf(key, ms);
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}
