import { pingNodes, PROBE_KEY } from './client/node-ping.js';
import type {
  CacheEntry,
  CachePing,
  CacheStats,
  GetOptions,
  GetOrSetOptions,
  SetOptions,
} from './interfaces/cache-client.interface.js';
import type { Ttl } from './interfaces/cache-module-options.interface.js';

/**
 * The shared cache, injectable by its class: `constructor(private readonly cache: CacheClient)`.
 * A backend failure is never thrown by `get`/`set`/`delete` and their batch forms: reads answer a
 * miss, writes answer `false`, and the failure is logged (once per burst) and counted in `stats()`.
 */
export abstract class CacheClient {
  /**
   * The value, or `undefined` on a miss (or when the backend failed): a fresh copy with the types
   * it was stored with, unless `clone: false`; instances of `type` when given.
   */
  abstract get<T = unknown>(key: string, options?: GetOptions): Promise<T | undefined>;
  /**
   * `true` when stored. `undefined` is never stored; nor is a value that cannot be serialized
   * (a class instance without `type`, a function, a symbol, a cycle).
   */
  abstract set<T>(key: string, value: T, ttlOrOptions?: Ttl | SetOptions): Promise<boolean>;
  /** `true` when the key existed. */
  abstract delete(key: string): Promise<boolean>;
  abstract has(key: string): Promise<boolean>;
  /** Values in key order, `undefined` for a miss. */
  abstract getMany<T = unknown>(keys: readonly string[]): Promise<(T | undefined)[]>;
  /** `true` when every entry was stored. */
  abstract setMany(entries: readonly CacheEntry[]): Promise<boolean>;
  /** How many keys existed and were deleted. */
  abstract deleteMany(keys: readonly string[]): Promise<number>;
  /**
   * Cache-aside: the cached value, or the loader's, stored before it is returned. One loader call
   * per key at a time in this process; concurrent callers share it, and its rejection, which is
   * never cached. A cache failure never hides the loader's value. Every caller but the one whose
   * call ran the loader gets its own copy (or, with `clone: false`, one shared frozen value).
   */
  abstract getOrSet<T>(
    key: string,
    loader: () => T | Promise<T>,
    ttlOrOptions?: Ttl | GetOrSetOptions,
  ): Promise<T>;
  /** Drops every entry tagged with any of these tags, as seen by every app server. */
  abstract invalidateTags(tags: readonly string[]): Promise<boolean>;
  /** Removes every entry under this client's `keyPrefix`, never anything else on the server. */
  abstract clear(): Promise<boolean>;
  abstract stats(): CacheStats;

  /**
   * Each server of the cache with its round trip (every Redis Cluster master, every Memcached
   * pool server), each held to `commandTimeout`; `ok` when all answered. A server whose circuit
   * is open is reported down at once (`circuit open`). Never rejects.
   *
   * This default, for a client put in place of the module's (a test double), reports one node,
   * `cache`, up when a `get` answers within a second.
   */
  ping(): Promise<CachePing> {
    return pingNodes([{ address: 'cache', ping: () => this.get(PROBE_KEY) }], {
      timeoutMs: DEFAULT_PING_TIMEOUT_MS,
    });
  }
}

const DEFAULT_PING_TIMEOUT_MS = 1000;
