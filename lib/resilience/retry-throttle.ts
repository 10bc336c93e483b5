import { Lru } from '../utils/lru.js';

/** Keys remembered at most: past it the oldest go first (their loader may then be retried early). */
const MAX_KEYS = 10_000;

/**
 * After a loader failed and a stale value stood in for it, the keys whose loader is not to be
 * tried again before `graceRetry`: stale values are served meanwhile, so a source that is down is
 * asked once per key and period by each process, not by every call.
 */
export class RetryThrottle {
  private readonly until = new Lru<string, true>({ max: MAX_KEYS, ttlAutopurge: false });

  /** The loader of `key` waits `ms` before it is tried again. */
  hold(key: string, ms: number): void {
    if (ms > 0) this.until.set(key, true, { ttl: ms });
  }

  holds(key: string): boolean {
    return this.until.get(key) === true;
  }

  /** The loader of `key` succeeded: it may run whenever needed. */
  release(key: string): void {
    this.until.delete(key);
  }
}
