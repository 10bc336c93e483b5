import type { MethodStatsSnapshot } from '../observability/method-stats.js';
import type { CircuitStats } from '../resilience/circuit-breaker.js';
import type { ReplayStats } from '../resilience/eviction-replay.js';
import type { InvalidationBusStats } from '../tiers/invalidation-bus.js';
import type { LocalTierStats } from '../tiers/local-tier.js';
import type { Type } from '@nestjs/common';
import type { LoaderResilienceOptions, Ttl } from './cache-module-options.interface.js';

/**
 * The class of a cached value (`User`), or `[User]` for an array of them: a hit then returns
 * instances of that class (its prototype set, no constructor run) instead of plain objects.
 */
export type ValueType = Type<unknown> | [Type<unknown>];

export interface GetOptions {
  /** Restore the value as an instance of this class (`[User]`: an array of them). */
  type?: ValueType;
  /**
   * `false`: answer the cached object itself, deep-frozen, instead of a fresh copy (a value holding
   * a Date, Map, Set, typed array… is still copied: those cannot be frozen).
   * @default the module's `clone` (true)
   */
  clone?: boolean;
}

export interface SetOptions {
  /** Seconds (number) or a duration string; falls back to the module's `ttl`. */
  ttl?: Ttl;
  /** Tags whose invalidation drops this entry, on every app server. */
  tags?: readonly string[];
  /**
   * The class of the value (`[User]`: of each element of an array value). An instance of exactly
   * that class (or `null`) is stored as its own enumerable properties; without `type` a class
   * instance is not stored.
   */
  type?: ValueType;
}

/**
 * `grace`, `graceRetry`, `softTimeout`, `hardTimeout`, `refreshAhead` and `lock` (see
 * `LoaderResilienceOptions`) default to the module's.
 */
export interface GetOrSetOptions extends SetOptions, LoaderResilienceOptions {
  /**
   * `false`: a hit answers the cached object itself, deep-frozen, the same one to every caller;
   * see `GetOptions.clone`.
   * @default the module's `clone` (true)
   */
  clone?: boolean;
}

export interface CacheEntry<T = unknown> {
  key: string;
  value: T;
  ttl?: Ttl;
}

export interface CacheStats {
  /** `memory`, `redis` or `memcached`. */
  store: string;
  /** Reads answered from the cache: `l1Hits + l2Hits`. */
  hits: number;
  /** Hits answered from this process's L1 tier (0 without `l1`). */
  l1Hits: number;
  /** Hits answered by the store itself (Redis, Memcached, memory). */
  l2Hits: number;
  misses: number;
  /** Entries written. */
  sets: number;
  /** Keys deleted (one per key, found or not). */
  deletes: number;
  /** Backend failures, values that could not be serialized, entries that could not be decoded. */
  errors: number;
  /** hits / (hits + misses), 0 before the first read. */
  hitRate: number;
  /** Stale values served: the loader failed, or passed `softTimeout`, while the entry was within `grace`. */
  staleHits: number;
  /** Background refreshes started by `refreshAhead`. */
  refreshes: number;
  /** Loads that passed `softTimeout` or `hardTimeout` (each went on in the background). */
  loaderTimeouts: number;
  /** Per `@Cacheable` method on this cache (`Class.method`): its hits, misses, errors, loads. */
  methods: Record<string, MethodStatsSnapshot>;
  /** With `l1`: the tier's own counters and size. */
  l1?: LocalTierStats;
  /** With a bus: messages sent, received and lost, and whether it is subscribed now. */
  bus?: InvalidationBusStats & { up: boolean };
  /** With `circuitBreaker` (Redis, Memcached): each server that failed, its circuit, the openings. */
  circuit?: CircuitStats;
  /** Redis, Memcached: evictions waiting to be replayed, replayed late, dropped on overflow. */
  replay?: ReplayStats;
}

/** One server of the cache, as `CacheClient.ping()` found it. */
export interface CacheNodePing {
  /**
   * `host:port` (every master of a Redis Cluster, every server of a Memcached pool, the current
   * master of a Sentinel set); `memory` for the in-process store.
   */
  address: string;
  ok: boolean;
  /** Round trip of one PING (Redis) or NOOP (Memcached), in milliseconds, when it answered. */
  latencyMs?: number;
  /** Why it is not ok (`circuit open`, a timeout, a refused connection); never a credential. */
  error?: string;
}

/** What `CacheClient.ping()` resolves to: `ok` when every node answered. */
export interface CachePing {
  ok: boolean;
  nodes: CacheNodePing[];
}
