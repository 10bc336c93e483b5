import { CacheClient } from './cache-client.js';

/** Metadata keys the decorators record and the interception reads. */
export const CACHEABLE_METADATA = 'nestjs-distributed-cache:cacheable';
export const CACHE_EVICT_METADATA = 'nestjs-distributed-cache:cache-evict';
export const CACHE_PUT_METADATA = 'nestjs-distributed-cache:cache-put';
/** Injection token of the options given to one `CacheModule.forRoot` / `forRootAsync`. */
export const CACHE_MODULE_OPTIONS = 'DISTRIBUTED_CACHE_MODULE_OPTIONS';

/** Class-level defaults recorded by `@CacheConfig`. */
export const CACHE_CONFIG_METADATA = 'nestjs-distributed-cache:cache-config';

/** The name the default cache (`CacheModule.forRoot()` without `name`) is known by. */
export const DEFAULT_CACHE_NAME = 'default';

/**
 * The injection token of a cache: `CacheClient` for the default cache, a string token for a named
 * one. For `@Inject(getCacheToken('sessions'))`, `moduleRef.get(getCacheToken())` and
 * `overrideProvider(getCacheToken('sessions'))`.
 */
export function getCacheToken(name?: string): typeof CacheClient | string {
  return name === undefined || name === DEFAULT_CACHE_NAME
    ? CacheClient
    : `DistributedCache:${name}`;
}

/** The injection token of a cache's store driver (`CacheStore`): `CACHE_STORE` for the default cache. */
export function getCacheStoreToken(name?: string): symbol | string {
  return name === undefined || name === DEFAULT_CACHE_NAME
    ? CACHE_STORE
    : `DistributedCacheStore:${name}`;
}

/** Injection token of the store driver (`CacheStore`) a module instance uses. */
export const CACHE_STORE = Symbol('nestjs-distributed-cache:store');

/** Metadata keys of `@CacheKey`, `@CacheTTL` and `@CacheVary`, read by `CacheInterceptor`. */
export const CACHE_KEY_METADATA = 'nestjs-distributed-cache:cache-key';
export const CACHE_TTL_METADATA = 'nestjs-distributed-cache:cache-ttl';
export const CACHE_VARY_METADATA = 'nestjs-distributed-cache:cache-vary';
