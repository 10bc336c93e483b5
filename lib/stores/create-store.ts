import type { ResolvedCacheOptions } from '../options/resolved-options.js';
import type { CacheStore } from './cache-store.interface.js';
import { MemcachedStore } from './memcached.store.js';
import { MemoryStore } from './memory.store.js';
import { RedisStore } from './redis.store.js';

/** The driver the options name, with its resolved settings, or the user's own `CacheStore`. */
export function createStore(options: ResolvedCacheOptions): CacheStore {
  const { keyPrefix, commandTimeout } = options;
  switch (options.store) {
    case 'redis':
      return new RedisStore({ keyPrefix, commandTimeout, connection: options.redis });
    case 'memcached':
      return new MemcachedStore({ keyPrefix, commandTimeout, connection: options.memcached });
    case 'memory':
      return new MemoryStore(options.memory);
    default:
      return options.store;
  }
}
