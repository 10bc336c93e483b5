import type { Ttl } from './cache-module-options.interface.js';

export interface SetOptions {
  /** Seconds (number) or a duration string; falls back to the module's `ttl`. */
  ttl?: Ttl;
  /** Tags whose invalidation drops this entry, on every app server. */
  tags?: readonly string[];
}

export interface CacheEntry<T = unknown> {
  key: string;
  value: T;
  ttl?: Ttl;
}

export interface CacheStats {
  /** `memory`, `redis` or `memcached`. */
  store: string;
  hits: number;
  misses: number;
  /** Entries written. */
  sets: number;
  /** Keys deleted (one per key, found or not). */
  deletes: number;
  /** Backend failures, values that could not be serialized, entries that could not be decoded. */
  errors: number;
  /** hits / (hits + misses), 0 before the first read. */
  hitRate: number;
}
