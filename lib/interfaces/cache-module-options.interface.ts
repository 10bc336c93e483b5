import type {
  Cluster,
  ClusterNode,
  ClusterOptions,
  Redis,
  RedisOptions,
  SentinelAddress,
} from 'ioredis';
import type { Client as MemjsClient } from 'memjs';
import type { CacheStore } from '../stores/cache-store.interface.js';

/** A number is seconds; a string is a duration: `'500ms'`, `'30s'`, `'5m'`, `'1h'`, `'1d'`. */
export type Ttl = number | string;

export type StoreName = 'memory' | 'redis' | 'memcached';

export interface MemoryStoreOptions {
  /**
   * Most entries held; the least recently used goes first.
   * @default 10000
   */
  maxEntries?: number;
  /**
   * Most bytes held (keys and serialized values, counted as UTF-16 code units × 2). Unbounded
   * when unset.
   */
  maxSize?: number;
}

export interface RedisConnectionOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` for TLS. Not with `host`/`port`. */
  url?: string;
  /** Instead of `url`. */
  host?: string;
  /** Instead of `url`: 1 to 65535. */
  port?: number;
  /** ACL user (Redis 6+). */
  username?: string;
  password?: string;
  /** Database number (standalone and Sentinel; a Cluster has only database 0). */
  db?: number;
  /** `true`, or Node `tls.connect` options (`{ ca, cert, key, servername, … }`); `false`: plain TCP. */
  tls?: boolean | RedisOptions['tls'];
  /**
   * Redis Cluster: the seed nodes (any few masters or replicas), plus any ioredis ClusterOptions.
   * Multi-key calls are split by hash slot, so they never fail with CROSSSLOT; `clear()` scans
   * every master. Defaults that differ from ioredis: `enableOfflineQueue: false`,
   * `retryDelayOnClusterDown: 0` (answer a miss at once while the cluster is down), and each
   * command held to `commandTimeout` end to end, also while a master fails over.
   * @example { nodes: [{ host: 'redis-1', port: 6379 }, { host: 'redis-2', port: 6379 }] }
   */
  cluster?: { nodes: ClusterNode[] } & ClusterOptions;
  /**
   * Redis Sentinel: the sentinels and the monitored master's name, plus any ioredis options.
   * Defaults that differ from ioredis: `failoverDetector: true`, so the client reconnects to the
   * new master as soon as a sentinel announces `+switch-master` (one extra connection to each
   * sentinel); with `redis.tls`, `enableTLSForSentinelMode: true`, so the master and replicas are
   * reached over TLS (ioredis would use plain TCP). TLS to the sentinels themselves: `sentinelTLS`.
   * @example { sentinels: [{ host: 'sentinel-1', port: 26379 }], name: 'mymaster' }
   */
  sentinel?: { sentinels: Partial<SentinelAddress>[]; name: string } & RedisOptions;
  /**
   * An ioredis client (standalone or Cluster) you already have. It is used as is and not closed by
   * the module; no other `redis` option may be given beside it. Each cache command on it is still
   * held to `commandTimeout` (a timer per command; your own commands on it are left alone).
   */
  client?: Redis | Cluster;
  /** Extra ioredis options, applied last (the module's fail-fast defaults can be overridden here). */
  options?: RedisOptions;
  /**
   * Connections to each server, built from the same options: the server itself (standalone), the
   * master (Sentinel), or every master (Cluster: that many Cluster clients). Each command goes on
   * the connection with the fewest of the cache's commands in flight: a large reply holds up every
   * reply queued behind it on one connection, and the next command takes another. A whole number
   * ≥ 1; not above 1 with `client` (a client of your own cannot be cloned).
   * @default 1
   */
  poolSize?: number;
}

export interface MemcachedConnectionOptions {
  /**
   * The pool as one string, like `redis.url`: `memcached://[user:password@]host[:port][,host[:port]…]`
   * (port 11211 when left out; user and password URL-encoded). Instead of `servers`.
   * @example 'memcached://app:s3cret@10.0.0.1:11211,10.0.0.2:11211'
   */
  url?: string;
  /**
   * The pool: `'host:port'` or `'host:port:weight'` (twemproxy's form), one or many. Keys are
   * placed on a ketama ring compatible with libmemcached (`KETAMA_WEIGHTED`) and twemproxy
   * (`distribution: ketama`, `hash: md5`), so clients in other languages agree on where each key
   * lives. A weight is a whole number ≥ 1 (default 1): a server's share of the keys is its weight
   * over the total. IPv6 hosts in brackets: `'[::1]:11211'`. No credentials in an entry: give
   * `username` and `password` (or put them in `url`).
   * @example ['10.0.0.1:11211', '10.0.0.2:11211', '10.0.0.3:11211:2']
   */
  servers?: string[];
  /** SASL PLAIN user, for every server of the pool. */
  username?: string;
  /** SASL PLAIN password, for every server of the pool. */
  password?: string;
  /**
   * The server's item-size limit in bytes (`memcached -I`), counting the key and 64 bytes of
   * item overhead besides the value: a bigger item is not sent. Left out: the module's
   * `maxValueSize`. Give it only when the server's limit is below that.
   */
  maxValueSize?: number;
  /**
   * How long, in milliseconds, this process trusts the namespace version that `clear()` bumps
   * before reading it again. `clear()` on another app server is seen here within this time.
   * @default 1000
   */
  namespaceRefreshMs?: number;
  /**
   * Longest time, in milliseconds, to open a connection to one server (TCP connect and SASL); a
   * call waits for it at most `commandTimeout`, and connecting goes on for the calls after it.
   * @default 1000
   */
  connectTimeout?: number;
  /**
   * Consecutive failures (refused or reset connections, timeouts) after which a server is taken
   * off the ring for `retryEjectedAfterMs`, its keys going to the other servers meanwhile
   * (twemproxy's `auto_eject_hosts` / `server_failure_limit`). `0` never ejects: a dead server's
   * keys are misses until it returns. Ejecting keeps the hit rate up while a server is down, at a
   * price: when it returns, it serves what it held before, which may be stale (entries updated,
   * deleted or invalidated meanwhile were written elsewhere). Use it with short TTLs.
   * @default 0
   */
  ejectAfterFailures?: number;
  /**
   * How long, in milliseconds, an ejected server stays off the ring before it is tried again
   * (twemproxy's `server_retry_timeout`). Only with `ejectAfterFailures`.
   * @default 30000
   */
  retryEjectedAfterMs?: number;
  /**
   * A memjs client you already have. Used as is (its own server selection included) and not
   * closed by the module; not with `url`, `servers`, `username` or `password`. Each cache call on
   * it is still held to `commandTimeout`.
   */
  client?: MemjsClient;
  /**
   * Connections to each server of the pool. Each request goes on the one with the fewest of the
   * cache's requests in flight: a large value holds up every answer queued behind it on one
   * connection, and the next request takes another. Keys are placed on the ring as before (the
   * pool is per server, not more points). A whole number ≥ 1; not above 1 with `client`.
   * @default 1
   */
  poolSize?: number;
}

/**
 * How a loader (a `@Cacheable` method, `getOrSet`'s function) is protected when the source behind
 * it is slow or failing, and how loads are shared. Module-level defaults; `@Cacheable` and
 * `getOrSet` override each one.
 */
export interface LoaderResilienceOptions {
  /**
   * Fail-safe: an entry is kept this long beyond its TTL (like `ttl`: seconds or a duration). When
   * the loader then throws, rejects or times out, callers get the expired value instead of the
   * error. `0`: off.
   * @default 0
   */
  grace?: Ttl;
  /**
   * After the loader failed and a stale value was served, it is tried again no more often than
   * this (per key and process); stale values are served meanwhile.
   * @default '10s'
   */
  graceRetry?: Ttl;
  /**
   * With a stale value at hand, the longest a caller waits for the loader: then it gets the stale
   * value, and the loader finishes in the background, updating the cache. `0`: off.
   * @default 0
   */
  softTimeout?: Ttl;
  /**
   * The longest any caller waits for a loader when no stale value exists: then it gets a
   * `CacheLoaderTimeoutError`, and the loader, if it succeeds later, still fills the cache. `0`: off.
   * @default 0
   */
  hardTimeout?: Ttl;
  /**
   * Refresh a hot entry before it expires: a fraction of the TTL (`0.8`: a hit in the last 20 % of
   * an entry's life starts one background refresh), or `true` for probabilistic early expiration
   * (XFetch, Vattani et al., VLDB 2015: the closer to expiry, and the slower the loader was, the
   * likelier a hit refreshes). Callers never wait for the refresh.
   * @default false
   */
  refreshAhead?: number | boolean;
  /**
   * `'local'`: concurrent misses of one key in one process run the loader once. `'distributed'`:
   * once across every app server sharing the cache (a lock in the shared store); the others wait
   * for its result and read it from the store.
   * @default 'local'
   */
  lock?: 'local' | 'distributed';
}

/** Compression of large values, before they are stored (and encrypted). */
export interface CompressionOptions {
  /**
   * Values whose entry text is longer than this, in bytes (UTF-8), are compressed.
   * @default 1024
   */
  threshold?: number;
  /**
   * `'gzip'`, `'brotli'` (at quality 4: close to its best size, many times faster than its
   * default), or `'zstd'` (Node.js 22.15 and later).
   * @default 'gzip'
   */
  algorithm?: 'gzip' | 'brotli' | 'zstd';
}

/** Encryption of values at rest: AES-256-GCM, authenticated, with key rotation. */
export interface EncryptionOptions {
  /**
   * Base64 keys of 32 bytes (`openssl rand -base64 32`). The first encrypts every value written;
   * every key listed decrypts, so a new key goes first and an old one stays listed until the
   * entries it sealed have expired. An entry sealed under a key not listed, tampered with, moved
   * under another cache key, or not sealed at all is a miss and is removed.
   */
  keys: readonly string[];
}

/** The in-process tier (L1) in front of a Redis or Memcached cache. */
export interface LocalTierOptions {
  /**
   * Most entries held in this process; the least recently used goes first.
   * @default 10000
   */
  maxEntries?: number;
  /**
   * Most bytes held, counted on the stored texts (UTF-16 code units × 2); the decoded objects take
   * about as much again. Binds before `maxEntries` once entries average over 6.5 KB.
   * @default 67108864 (64 MiB)
   */
  maxSize?: number;
  /**
   * Longest an entry lives in L1, like `ttl` (seconds, or `'10s'`); an entry's L1 lifetime is the
   * shorter of this and what is left of its own TTL. It bounds how stale an L1 copy can be if an
   * invalidation is ever missed without the bus noticing, and is the only bound on a Memcached
   * cache without a bus. At 10 s a key read ten times a second is still answered from L1 99 % of
   * the time (one shared-store read per hundred hits). `0`: no cap.
   * @default '10s'
   */
  ttl?: Ttl;
}

/** The invalidation bus of a cache with `l1`. */
export interface CacheBusOptions {
  /**
   * The Redis that carries invalidations (pub/sub; sharded pub/sub on a Cluster), in the shape of
   * the `redis` option. A Redis cache uses its own server when this is left out; a Memcached cache
   * without it has no bus, and its L1 copies live up to `l1.ttl` after a change elsewhere.
   */
  redis?: RedisConnectionOptions;
}

/**
 * Per server (each master of a Cluster, each member of a Memcached pool): after `failures`
 * consecutive failures or timeouts, no command goes to it for `breakFor`; its calls answer at once
 * (a miss, `false`) instead of each waiting `commandTimeout`, and evictions meant for it are
 * replayed once it answers. Then one call probes it: success closes the circuit, failure opens it
 * for another `breakFor`. On by default: without it, every call to a hung server waits the full
 * `commandTimeout`, which under load is the whole cost of a cache outage. Five in a row is not one
 * slow reply; one second matches how fast the module reconnects, so caching resumes within a
 * second of the server's return while a dead server costs one probe's wait per second.
 */
export interface CircuitBreakerOptions {
  /**
   * Consecutive failures or timeouts of one server that open its circuit.
   * @default 5
   */
  failures?: number;
  /**
   * How long an open circuit refuses calls before one probes the server: seconds, or a duration
   * string like `ttl`.
   * @default '1s'
   */
  breakFor?: Ttl;
}

export interface CacheModuleOptions extends LoaderResilienceOptions {
  /**
   * A named cache, injected with `@InjectCache(name)` and chosen by `cache: name` on the
   * decorators; without it, the default cache (`CacheClient`). A non-empty string without spaces.
   * @example 'sessions'
   */
  name?: string;
  /**
   * Which backend holds the cache. Without it: `redis` when `redis` is given, `memcached` when
   * `memcached` is given, otherwise the in-process memory store. Only the section of the chosen
   * store may be given (`redis` beside `store: 'memory'` is refused).
   * @default 'memory'
   */
  store?: StoreName | CacheStore;
  /** With `store: 'redis'`. */
  redis?: RedisConnectionOptions;
  /** With `store: 'memcached'`. */
  memcached?: MemcachedConnectionOptions;
  /** With `store: 'memory'`. */
  memory?: MemoryStoreOptions;
  /**
   * Default time to live of an entry. `0` means no expiry.
   * @default 0
   */
  ttl?: Ttl;
  /**
   * Namespace put in front of every physical key; `clear()` removes this namespace only. A named
   * cache's default is `'cache:<name>:'`.
   * @default 'cache:'
   */
  keyPrefix?: string;
  /**
   * Longest time, in milliseconds, one backend command may take before the call gives up and
   * falls back (a miss, or `false`); the command then fails with a `CacheTimeoutError`. Applies to
   * every store and client, one handed in too. A standalone or Sentinel Redis connection the module
   * opened is checked eight times per `commandTimeout` rather than timed command by command, so
   * there an unanswered command is given up between 1× and 1.25× this.
   * @default 250
   */
  commandTimeout?: number;
  /**
   * Largest entry, in bytes (UTF-8, as sent to the store), that is stored, on every store: a
   * bigger value is never sent, `set` answers `false` (a decorated call still returns its
   * result), the failure is logged and counted, and the entry the key held before is removed.
   * @default 1048576 (1 MiB, memcached's default item size)
   */
  maxValueSize?: number;
  /**
   * Extra attempts for a read that failed fast (connection reset, not a timeout), spaced by
   * exponential backoff with jitter: 10 ms, 20 ms, … capped by `commandTimeout`.
   * @default 1
   */
  readRetries?: number;
  /**
   * Stop sending to a failing server for a while (see `CircuitBreakerOptions`); `false` turns it
   * off (every call to a hung server then waits `commandTimeout`), `true` or `{}` takes the
   * defaults. Module level only; not used by the memory store.
   */
  circuitBreaker?: boolean | CircuitBreakerOptions;
  /**
   * How values become strings. The default keeps types (Date, Map, Set, BigInt, typed arrays…)
   * and writes plain JSON data as plain JSON; `jsonSerializer` is strict JSON only.
   * @default faithfulSerializer
   */
  serializer?: CacheSerializer;
  /**
   * `false`: every hit returns the cached object itself, deep-frozen, instead of a fresh copy
   * (a decorator's or a call's `clone` overrides it). A value holding a Date, Map, Set, typed
   * array… is still copied: those cannot be frozen.
   * @default true
   */
  clone?: boolean;
  /**
   * An in-process tier in front of a Redis or Memcached cache: hot entries answered from this
   * process's memory, kept consistent with the other app servers by an invalidation bus (see
   * `bus`). `true` takes the defaults. Not with the memory store, which is in process already.
   */
  l1?: boolean | LocalTierOptions;
  /** Where the invalidations of `l1` travel. Only with `l1`. */
  bus?: CacheBusOptions;
  /**
   * Compress values larger than `threshold`: `true` takes the defaults. Entries written before
   * still read. Worth it for large, compressible values on a network store (see README).
   */
  compression?: boolean | CompressionOptions;
  /**
   * Encrypt every value at rest (keys, tags and TTLs stay readable on the server: operations need
   * them).
   */
  encryption?: EncryptionOptions;
  /**
   * Make `CacheClient` injectable everywhere without importing the module again. Give it to
   * `forRoot({ isGlobal })` or `forRootAsync({ isGlobal, useFactory })`, not in a factory's result.
   * @default false
   */
  isGlobal?: boolean;
}

export interface CacheSerializer {
  /** Must throw for a value it cannot represent faithfully. */
  serialize(value: unknown): string;
  deserialize(text: string): unknown;
}
