import { faithfulSerializer } from '../serialization/faithful.serializer.js';

/**
 * Every default of `CacheModuleOptions`, in one place: validation, the store constructors, the
 * JSDoc `@default` tags and the README "Options" table all draw from it (a unit test compares
 * them). A field missing here has no default: the option is off or unbounded when not given.
 */
export const CACHE_DEFAULTS = {
  store: 'memory',
  /** Seconds; `0` is no expiry. */
  ttl: 0,
  /** For a named cache: see `defaultKeyPrefix`. */
  keyPrefix: 'cache:',
  /** Milliseconds. */
  commandTimeout: 250,
  /** Bytes: 1 MiB, memcached's default item-size limit (`-I 1m`). */
  maxValueSize: 1_048_576,
  readRetries: 1,
  serializer: faithfulSerializer,
  isGlobal: false,
  clone: true,
  /** Durations like `ttl`; `0` is off. */
  grace: 0,
  graceRetry: '10s',
  softTimeout: 0,
  hardTimeout: 0,
  refreshAhead: false,
  lock: 'local',
  memory: {
    maxEntries: 10_000,
  },
  circuitBreaker: {
    failures: 5,
    breakFor: '1s',
  },
  /** What the module gives ioredis (`redis.options` overrides `connectTimeout`), and `poolSize`. */
  redis: {
    /** Connections (clients) per server: standalone, Sentinel master, or each Cluster master. */
    poolSize: 1,
    /** Milliseconds to open a connection; also how long startup waits for Redis. */
    connectTimeout: 1000,
    /** Longest pause, in milliseconds, between two reconnection attempts. */
    maxReconnectDelay: 1000,
  },
  compression: {
    /** Bytes. */
    threshold: 1024,
    algorithm: 'gzip',
  },
  l1: {
    maxEntries: 10_000,
    /** Bytes: 64 MiB. */
    maxSize: 67_108_864,
    ttl: '10s',
  },
  memcached: {
    /** Connections per server of the pool. */
    poolSize: 1,
    namespaceRefreshMs: 1000,
    /** Milliseconds to open a connection (TCP and SASL); a call waits `commandTimeout` at most. */
    connectTimeout: 1000,
    ejectAfterFailures: 0,
    retryEjectedAfterMs: 30_000,
  },
} as const;

/** `keyPrefix` when none is given: `'cache:'`, or `'cache:<name>:'` for a named cache. */
export function defaultKeyPrefix(name?: string): string {
  return name === undefined ? CACHE_DEFAULTS.keyPrefix : `${CACHE_DEFAULTS.keyPrefix}${name}:`;
}
