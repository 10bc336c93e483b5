export { CacheModule } from './cache.module.js';
export {
  CACHE_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} from './cache.module-definition.js';
export { CacheClient } from './cache-client.js';
export {
  CACHE_STORE,
  CACHEABLE_METADATA,
  CACHE_CONFIG_METADATA,
  CACHE_EVICT_METADATA,
  CACHE_PUT_METADATA,
  CACHE_KEY_METADATA,
  CACHE_TTL_METADATA,
  CACHE_VARY_METADATA,
  DEFAULT_CACHE_NAME,
  getCacheStoreToken,
  getCacheToken,
} from './cache.constants.js';
export { Cacheable } from './decorators/cacheable.decorator.js';
export { CacheEvict } from './decorators/cache-evict.decorator.js';
export { CachePut } from './decorators/cache-put.decorator.js';
export { CacheConfig } from './decorators/cache-config.decorator.js';
export { InjectCache } from './decorators/inject-cache.decorator.js';
export { CacheKey } from './decorators/cache-key.decorator.js';
export { CacheTTL } from './decorators/cache-ttl.decorator.js';
export { CacheVary } from './decorators/cache-vary.decorator.js';
export { CacheInterceptor } from './http/cache.interceptor.js';
export * from './errors.js';
export type * from './interfaces/cache-client.interface.js';
export type * from './interfaces/cache-decorator-options.interface.js';
export type * from './interfaces/cache-module-options.interface.js';
export type * from './interfaces/http-cache.interface.js';
export type { CacheStore, StoreEntry, StoreNode } from './stores/cache-store.interface.js';
export { MemoryStore } from './stores/memory.store.js';
export { RedisStore, type RedisStoreOptions } from './stores/redis.store.js';
export { MemcachedStore, type MemcachedStoreOptions } from './stores/memcached.store.js';
export type { MemcachedStoreConnection } from './stores/memcached/memcached-client.js';
export type { MemcachedServer } from './stores/memcached/server-address.js';
export type {
  MemcachedSettings,
  MemorySettings,
  RedisSettings,
} from './options/resolved-options.js';
export type { LocalTierStats } from './tiers/local-tier.js';
export type { InvalidationBusStats } from './tiers/invalidation-bus.js';
export type { CacheBusEvent, CacheOperationContext } from './observability/cache-channels.js';
export { jsonSerializer } from './serialization/json.serializer.js';
export { faithfulSerializer } from './serialization/faithful.serializer.js';
export { toTtlMs } from './utils/ttl.js';
