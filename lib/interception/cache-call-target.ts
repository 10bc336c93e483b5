import { Logger } from '@nestjs/common';
import type { CacheClient } from '../cache-client.js';
import type {
  FirstRead,
  ReadPolicy,
  ReadResult,
  WritePolicy,
} from '../client/distributed-cache.client.js';
import type { LoaderResilienceOptions, Ttl } from '../interfaces/cache-module-options.interface.js';
import type { LoadPolicy } from '../resilience/load-policy.js';
import type { MethodStats } from '../observability/method-stats.js';
import { FailureLog } from '../resilience/failure-log.js';
import { chain, type MaybePromise } from '../utils/maybe-promise.js';
import { toTtlMs } from '../utils/ttl.js';

/** Marks a client that implements `CacheCallTarget` itself (ours). */
export const CACHE_CALL_TARGET = Symbol('nestjs-distributed-cache:call-target');

/**
 * What a decorated call needs from a cache. Our client implements it directly (synchronously on
 * the memory store); any other `CacheClient` — a fake put in with
 * `overrideProvider(CacheClient).useValue(fake)` — is reached through its public methods.
 */
export interface CacheCallTarget {
  /** Answers without waiting (the memory store): a synchronous method can stay synchronous. */
  readonly synchronous: boolean;
  /** A client put in place of ours (a test's fake): synchronous methods run uncached against it. */
  readonly replacement?: boolean;
  /**
   * Cache-aside: a hit, or `load`'s value stored (subject to `policy.shouldStore`).
   * @param read What `hitAtOnce` read for this call.
   */
  cached<T>(
    key: string,
    load: () => MaybePromise<T>,
    policy: WritePolicy,
    read?: FirstRead,
  ): MaybePromise<T>;
  /**
   * Where `hitsAtOnce` (an L1, or entries held decoded in process), for the calls a plan allows
   * (`hitAtOnceOf`): a hit answered before any step of `cached`, or a `NotAtOnce` that carries
   * what was read for `cached` to go on from.
   * @returns The value, or a `NotAtOnce`.
   */
  hitAtOnce?(key: string, policy: WritePolicy): unknown;
  /** Whether `hitAtOnce` can answer hits. */
  readonly hitsAtOnce?: boolean;
  read(key: string, policy?: ReadPolicy): MaybePromise<ReadResult>;
  write(key: string, value: unknown, policy: WritePolicy): MaybePromise<boolean>;
  /** Deletes keys, then invalidates tags; never throws. `method`: `Class.method`, for events. */
  evict(keys: readonly string[], tags: readonly string[], method?: string): MaybePromise<void>;
  /** The counters of a decorated method on this cache; absent on a replacement client. */
  methodStats?(name: string): MethodStats;
  clear(): MaybePromise<boolean>;
  /** Logs (once per burst) and counts a failure met above the store. */
  report(operation: string, error: unknown): void;
  /**
   * `grace`, loader timeouts, `refreshAhead` and `lock` of a decorator over the cache's defaults;
   * throws naming `where` for a bad value. Absent on a replacement client (they do not apply).
   */
  loadPolicyOf?(options: LoaderResilienceOptions, where: string): LoadPolicy;
  /** A TTL in milliseconds; `undefined` in, the cache's default out. Throws `CacheTtlError`. */
  ttlMsOf(ttl: Ttl | undefined, where: string): number | undefined;
}

/** The target of a cache as injected: ours as is, anything else through its public API. */
export function asCallTarget(client: CacheClient): CacheCallTarget {
  return (client as Partial<Record<typeof CACHE_CALL_TARGET, boolean>>)[CACHE_CALL_TARGET]
    ? (client as unknown as CacheCallTarget)
    : new PublicClientTarget(client);
}

const MISS: ReadResult = { hit: false };

/**
 * A `CacheClient` we did not build, driven through `get`, `set`, `delete`/`deleteMany`,
 * `invalidateTags` and `clear`. Anything it throws is logged and the call goes on without it.
 */
class PublicClientTarget implements CacheCallTarget {
  readonly synchronous = false;
  readonly replacement = true;
  private readonly failures = new FailureLog(new Logger('CacheClient'));

  constructor(private readonly client: CacheClient) {}

  cached<T>(key: string, load: () => MaybePromise<T>, policy: WritePolicy): MaybePromise<T> {
    return chain(this.read(key, policy), (found) => {
      policy.onResult?.(found.hit ? 'hit' : 'miss', undefined);
      if (found.hit) return found.value as T;
      return chain(load, (value) => chain(this.write(key, value, policy), () => value));
    });
  }

  read(key: string, policy: ReadPolicy = {}): MaybePromise<ReadResult> {
    const options = {
      ...(policy.type ? { type: policy.type } : {}),
      ...(policy.clone === undefined ? {} : { clone: policy.clone }),
    };
    return this.guarded(
      'get',
      () => this.client.get(key, options),
      (value): ReadResult => (value === undefined ? MISS : { hit: true, value, tier: 'l2' }),
      MISS,
    );
  }

  write(key: string, value: unknown, policy: WritePolicy): MaybePromise<boolean> {
    if (value === undefined || policy.shouldStore?.(value) === false) return false;
    const ttl = policy.ttlMs === undefined ? undefined : policy.ttlMs / 1000;
    const options = {
      ...(ttl === undefined ? {} : { ttl }),
      ...(policy.tags ? { tags: policy.tags } : {}),
    };
    return this.guarded('set', () => this.client.set(key, value, options), Boolean, false);
  }

  evict(keys: readonly string[], tags: readonly string[]): MaybePromise<void> {
    const deleted =
      keys.length === 0
        ? undefined
        : this.guarded(
            'deleteMany',
            () => this.client.deleteMany(keys),
            () => undefined,
            undefined,
          );
    return chain(deleted, () =>
      tags.length === 0
        ? undefined
        : this.guarded(
            'invalidateTags',
            () => this.client.invalidateTags(tags),
            () => undefined,
            undefined,
          ),
    );
  }

  clear(): MaybePromise<boolean> {
    return this.guarded('clear', () => this.client.clear(), Boolean, false);
  }

  report(operation: string, error: unknown): void {
    this.failures.report(operation, error);
  }

  ttlMsOf(ttl: Ttl | undefined, where: string): number | undefined {
    return toTtlMs(ttl, where);
  }

  private guarded<T, R>(
    operation: string,
    run: () => MaybePromise<T>,
    onValue: (value: T) => R,
    fallback: R,
  ): MaybePromise<R> {
    return chain(run, onValue, (error) => {
      this.report(operation, error);
      return fallback;
    });
  }
}
