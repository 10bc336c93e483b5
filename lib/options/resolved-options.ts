import type { EnvelopeSettings } from '../serialization/value-envelope.js';
import type { LoadPolicy } from '../resilience/load-policy.js';
import type { Client as MemjsClient } from 'memjs';
import type { ConnectionOptions } from 'node:tls';
import type {
  CacheSerializer,
  RedisConnectionOptions,
} from '../interfaces/cache-module-options.interface.js';
import type { CircuitBreakerSettings } from '../resilience/circuit-breaker.js';
import type { CacheStore } from '../stores/cache-store.interface.js';
import type { MemcachedServerAddress } from '../stores/memcached/server-address.js';

/** What the memory store needs. */
export interface MemorySettings {
  maxEntries: number;
  /** Unbounded when absent. */
  maxSize?: number;
}

/** What the Redis store needs: the `redis` section, checked, with `tls: true` made `{}`. */
export type RedisSettings = Omit<RedisConnectionOptions, 'tls'> & { tls?: ConnectionOptions };

/** What the Memcached store needs: the servers parsed (from `servers` or `url`), defaults applied. */
export interface MemcachedSettings {
  /** Empty with `client`. */
  servers: MemcachedServerAddress[];
  username?: string;
  password?: string;
  client?: MemjsClient;
  maxValueSize: number;
  namespaceRefreshMs: number;
  connectTimeout: number;
  ejectAfterFailures: number;
  retryEjectedAfterMs: number;
  /** Connections per server. */
  poolSize: number;
}

/** The chosen store and exactly the settings its driver takes. */
export type StoreSettings =
  | { store: 'memory'; memory: MemorySettings }
  | { store: 'redis'; redis: RedisSettings }
  | { store: 'memcached'; memcached: MemcachedSettings }
  | { store: CacheStore };

/** `l1` and `bus` resolved: L1 bounds, and where invalidations travel. */
export interface TierSettings {
  /** `ttlMs`: the longest an entry lives in L1 (`Infinity`: no cap). */
  l1: { maxEntries: number; maxSize: number; ttlMs: number };
  /** `'store'`: the Redis cache's own server; `undefined`: no bus (L1 bounded by `ttlMs` only). */
  bus: RedisSettings | 'store' | undefined;
}

/** Options after validation: defaults applied, TTL in milliseconds. */
export type ResolvedCacheOptions = StoreSettings & {
  /** `undefined` for the default cache. */
  name: string | undefined;
  /** `undefined`: no expiry. */
  ttlMs: number | undefined;
  keyPrefix: string;
  commandTimeout: number;
  /** Bytes. */
  maxValueSize: number;
  readRetries: number;
  /** `undefined`: off. */
  circuitBreaker: CircuitBreakerSettings | undefined;
  serializer: CacheSerializer;
  clone: boolean;
  /** `undefined`: no L1. */
  tiers: TierSettings | undefined;
  /** The module's defaults of `grace`, `softTimeout`, `refreshAhead`, `lock`… */
  load: LoadPolicy;
  /** `compression` and `encryption`; `undefined` when neither is on. */
  envelope: EnvelopeSettings | undefined;
};
