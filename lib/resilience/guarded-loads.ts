import { CacheLoaderTimeoutError } from '../errors.js';
import type { ReadPolicy, ReadResult, WritePolicy } from '../client/distributed-cache.client.js';
import type { Outcome } from '../client/value-reader.js';
import type { EntryStamp } from '../serialization/entry-stamp.js';
import { isPromiseLike, type MaybePromise } from '../utils/maybe-promise.js';
import type { DistributedLock, Lease } from './distributed-lock.js';
import type { FailureLog } from './failure-log.js';
import { refreshIsDue } from './freshness.js';
import type { LoadPolicy } from './load-policy.js';
import { RetryThrottle } from './retry-throttle.js';

/** How long a distributed lock is held without `hardTimeout`: past it, waiters load themselves. */
export const DEFAULT_LEASE_MS = 5000;

/** What the loads need of the client. */
export interface LoadHost {
  /** Runs the loader and stores its value; rejects (or throws) only with the loader's error. */
  loadAndStore(
    key: string,
    load: () => MaybePromise<unknown>,
    policy: WritePolicy,
    keepL1Copy: boolean,
  ): MaybePromise<Outcome>;
  /** A read inside this caller's `getOrSet`: no event of its own. */
  lookup(key: string, policy: ReadPolicy): MaybePromise<ReadResult>;
}

export interface GuardedLoadStats {
  /** Stale values served: the loader failed, or was slower than `softTimeout`, within `grace`. */
  staleHits: number;
  /** Background refreshes started by `refreshAhead`. */
  refreshes: number;
  /** Loads that passed `softTimeout` or `hardTimeout` (and went on in the background). */
  loaderTimeouts: number;
}

/**
 * Loads under `grace`, `softTimeout`, `hardTimeout`, `refreshAhead` and `lock: 'distributed'`,
 * one key at a time (the client's single-flight runs at most one of these per key). A load that
 * outlives its callers (a timeout fired) or was started ahead of expiry stays known here until it
 * ends: a caller that misses meanwhile waits for it (or takes the stale value) instead of
 * starting another.
 */
export class GuardedLoads {
  readonly counts: GuardedLoadStats = { staleHits: 0, refreshes: 0, loaderTimeouts: 0 };
  private readonly running = new Map<string, Promise<Outcome>>();
  private readonly retries = new RetryThrottle();

  constructor(
    private readonly host: LoadHost,
    private readonly lock: DistributedLock | undefined,
    private readonly log: FailureLog,
  ) {}

  /** A miss, with the expired entry as `stale` when it is still within grace: load as `loads` asks. */
  load(
    key: string,
    load: () => MaybePromise<unknown>,
    policy: WritePolicy,
    loads: LoadPolicy,
    stale?: Outcome,
  ): MaybePromise<Outcome> {
    if (stale && this.retries.holds(key)) return this.servedStale(stale);
    let loading: MaybePromise<Outcome>;
    try {
      loading = this.running.get(key) ?? this.start(key, load, policy, loads);
    } catch (error) {
      return this.failed(key, error, loads, stale);
    }
    if (!isPromiseLike(loading)) return loading;
    const settled = loading.then(undefined, (error: unknown) =>
      this.failed(key, error, loads, stale),
    );
    return this.withDeadline(key, loading, settled, loads, stale);
  }

  /** On a fresh hit: starts one background refresh when `refreshAhead` says it is time. */
  refreshIfDue(
    key: string,
    stamp: EntryStamp | undefined,
    load: () => MaybePromise<unknown>,
    policy: WritePolicy,
    loads: LoadPolicy,
  ): void {
    if (!refreshIsDue(stamp, loads.refreshAhead, Date.now()) || this.running.has(key)) return;
    this.counts.refreshes++;
    // On the next turn of the event loop: a synchronous loader must not run inside this hit.
    const refreshing = new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
      this.refresh(key, load, policy, loads),
    );
    refreshing.then(undefined, (error: unknown) =>
      this.log.report(`refreshing "${key}" ahead of its expiry`, error),
    );
    this.outlive(key, refreshing);
  }

  private start(
    key: string,
    load: () => MaybePromise<unknown>,
    policy: WritePolicy,
    loads: LoadPolicy,
  ): MaybePromise<Outcome> {
    if (loads.distributedLock && this.lock) return this.lockedLoad(key, load, policy, loads);
    return this.host.loadAndStore(key, load, policy, false);
  }

  /**
   * One load across every app server: the lock's holder loads, the others read its result. A
   * waiter whose holder gave up without a value tries to take the lock itself; past the lease,
   * or when the store cannot say, it loads without the lock.
   */
  private async lockedLoad(
    key: string,
    load: () => MaybePromise<unknown>,
    policy: WritePolicy,
    loads: LoadPolicy,
    keepL1Copy = false,
  ): Promise<Outcome> {
    const leaseMs = loads.hardTimeoutMs || DEFAULT_LEASE_MS;
    const deadline = Date.now() + leaseMs;
    for (;;) {
      const lease = await this.lock!.acquire(key, leaseMs);
      if (lease !== 'held') return this.loadHolding(key, load, policy, keepL1Copy, lease);
      const waited = await this.lock!.waitFor(key, deadline - Date.now());
      if (waited === 'stored') {
        // The holder's value (or, if it was removed meanwhile, a miss: load it then).
        const found = await this.host.lookup(key, policy);
        if (found.hit) return found;
      }
      if (waited !== 'free') return this.loadHolding(key, load, policy, keepL1Copy);
    }
  }

  /**
   * Loads and stores, then releases `lease` (if any) once the value is in the store. Holding a
   * lease, it reads the store once more first: a holder may have written and released between
   * this process's miss and its lock (not for a refresh ahead, which replaces a value on purpose).
   */
  private async loadHolding(
    key: string,
    load: () => MaybePromise<unknown>,
    policy: WritePolicy,
    keepL1Copy: boolean,
    lease?: Lease,
  ): Promise<Outcome> {
    try {
      if (lease && !keepL1Copy && (await this.lock!.stored(key))) {
        const found = await this.host.lookup(key, policy);
        if (found.hit) return found;
      }
      return await this.host.loadAndStore(key, load, policy, keepL1Copy);
    } finally {
      if (lease) void this.lock!.release(lease);
    }
  }

  private async refresh(
    key: string,
    load: () => MaybePromise<unknown>,
    policy: WritePolicy,
    loads: LoadPolicy,
  ): Promise<Outcome> {
    if (loads.distributedLock && this.lock) return this.lockedLoad(key, load, policy, loads, true);
    return this.host.loadAndStore(key, load, policy, true);
  }

  /**
   * The caller's wait, bounded: with a stale value by the first of `softTimeout` and
   * `hardTimeout` (then it gets the stale value), without one by `hardTimeout` (then a
   * `CacheLoaderTimeoutError`). The load goes on either way and fills the cache if it succeeds.
   */
  private withDeadline(
    key: string,
    loading: Promise<Outcome>,
    settled: Promise<Outcome>,
    loads: LoadPolicy,
    stale: Outcome | undefined,
  ): Promise<Outcome> {
    const { softTimeoutMs, hardTimeoutMs } = loads;
    const ms = stale
      ? Math.min(softTimeoutMs || Infinity, hardTimeoutMs || Infinity)
      : hardTimeoutMs;
    if (!ms || ms === Infinity) return settled;
    return new Promise<Outcome>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.counts.loaderTimeouts++;
        this.outlive(key, loading);
        if (stale) resolve(this.servedStale(stale));
        else reject(new CacheLoaderTimeoutError(key, ms));
      }, ms);
      settled.then(
        (outcome) => {
          clearTimeout(timer);
          resolve(outcome);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /** The loader failed: without a stale value the caller gets its error, else the stale value. */
  private failed(key: string, error: unknown, loads: LoadPolicy, stale?: Outcome): Outcome {
    if (!stale) throw error;
    this.retries.hold(key, loads.graceRetryMs);
    this.log.report(`loading "${key}" (served its stale value instead)`, error);
    return this.servedStale(stale);
  }

  private servedStale(stale: Outcome): Outcome {
    this.counts.staleHits++;
    return { ...stale, result: 'stale' };
  }

  /** Keeps `loading` known under `key` until it ends. */
  private outlive(key: string, loading: Promise<unknown>): void {
    if (this.running.has(key)) return;
    this.running.set(key, loading as Promise<Outcome>);
    const forget = () => {
      if (this.running.get(key) === loading) this.running.delete(key);
    };
    loading.then(forget, forget);
  }
}
