/** Metadata keys the decorators record and the interception reads. */
export const CACHEABLE_METADATA = 'nestjs-distributed-cache:cacheable';
export const CACHE_EVICT_METADATA = 'nestjs-distributed-cache:cache-evict';
export const CACHE_PUT_METADATA = 'nestjs-distributed-cache:cache-put';

/** Injection token of the store driver (`CacheStore`) a module instance uses. */
export const CACHE_STORE = Symbol('nestjs-distributed-cache:store');
