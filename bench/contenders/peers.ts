import KeyvRedis from '@keyv/redis';
import { BentoCache, bentostore, type BentoStore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis';
import { createCache } from 'cache-manager';
import { Cacheable } from 'cacheable';
import { Keyv } from 'keyv';

/** The get-or-set a user would call on a library we are compared with. */
export interface PeerCache {
  getOrSet<T>(key: string, load: () => Promise<T>): Promise<T | undefined>;
  /** A plain read, where the library has one worth measuring on its own. */
  get(key: string): Promise<unknown>;
  close(): Promise<void>;
}

const TTL_MS = 300_000;

/**
 * cache-manager v7: `createCache()` as its users run it (its default in-memory Keyv, which hands
 * every caller the stored object itself), or over the Keyv given (`new Keyv()`: a copy per hit,
 * as ours; `@keyv/redis`).
 */
export function cacheManager(keyv?: Keyv): PeerCache {
  const cache = createCache(keyv ? { stores: [keyv] } : {});
  return {
    getOrSet: (key, load) => cache.wrap(key, load, TTL_MS),
    get: (key) => cache.get(key),
    close: async () => void (await cache.disconnect()),
  };
}

export function keyvRedis(url: string): Keyv {
  return new Keyv({ store: new KeyvRedis(url) });
}

/** cacheable: its default in-memory primary, plus a secondary Keyv store when given. */
export function cacheable(secondary?: Keyv): PeerCache {
  const cache = new Cacheable(secondary ? { secondary } : {});
  return {
    getOrSet: (key, load) => cache.getOrSet(key, load, { ttl: TTL_MS }),
    get: (key) => cache.get(key),
    close: () => cache.disconnect(),
  };
}

/** bentocache with its memory driver (L1 only) or its Redis driver (L2 only). */
export function bentocache(redis?: { host: string; port: number }): PeerCache {
  const store = redis
    ? bentostore().useL2Layer(redisDriver({ connection: redis }))
    : bentostore().useL1Layer(memoryDriver({ maxItems: 10_000 }));
  return bentoPeer(new BentoCache({ default: 'cache', stores: { cache: store } }));
}

/**
 * bentocache's two tiers: its memory driver as L1 in front of its Redis driver, kept consistent
 * across processes by its Redis bus (channel `bentocache.notifications`); its defaults otherwise.
 */
export function bentocacheTiers(redis: { host: string; port: number }): BentoCache<{
  cache: BentoStore;
}> {
  const store = bentostore()
    .useL1Layer(memoryDriver({ maxItems: 10_000 }))
    .useL2Layer(redisDriver({ connection: redis }))
    .useBus(redisBusDriver({ connection: redis }));
  return new BentoCache({ default: 'cache', stores: { cache: store } });
}

/** A bentocache instance seen as a peer. */
export function bentoPeer(bento: BentoCache<Record<string, BentoStore>>): PeerCache {
  return {
    getOrSet: (key, factory) => bento.getOrSet({ key, factory, ttl: TTL_MS }),
    get: (key) => bento.get({ key }),
    close: () => bento.disconnectAll(),
  };
}
