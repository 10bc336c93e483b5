import type { ResolvedCacheOptions } from '../options/validate-options.js';
import type { CacheStore } from './cache-store.interface.js';
import { MemcachedStore } from './memcached.store.js';
import { MemoryStore } from './memory.store.js';
import { RedisStore } from './redis.store.js';

/** The driver the options name, or the user's own `CacheStore`. */
export function createStore(options: ResolvedCacheOptions): CacheStore {
  const { store, keyPrefix, commandTimeout } = options;
  if (typeof store === 'object') return store;
  switch (store) {
    case 'redis':
      return new RedisStore({ keyPrefix, commandTimeout, connection: options.redis });
    case 'memcached':
      return new MemcachedStore({ keyPrefix, commandTimeout, connection: options.memcached });
    case 'memory':
      return new MemoryStore(options.memory);
  }
}
