import calculateSlot from 'cluster-key-slot';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CacheOptionsError } from '../../lib/index.js';
import { RedisStore } from '../../lib/stores/redis.store.js';
import { patient, startCacheApp, type CacheApp } from '../support/cache-app.js';
import { startRedisCluster, type RedisClusterHarness } from '../support/redis-cluster.js';
import { inspectRedis } from '../support/redis-cli.js';
import { startRedis, type RedisServer } from '../support/servers.js';
import type { CacheModuleOptions } from '../../lib/index.js';

const KEYS = Array.from({ length: 300 }, (_, i) => `k${i}`);
/** What cache `name` stores under each of `KEYS`. */
const valuesOf = (name: string) => KEYS.map((key) => `${name}/${key}`);
const misses = KEYS.map(() => undefined);

/**
 * Two caches whose prefixes start alike, on one server: each reads only its own entries, and each
 * one's `clear()` leaves the other's. `holds(physicalKey)`: whether the server has that key where
 * it belongs.
 */
function describePrefixPairs(
  options: () => Pick<CacheModuleOptions, 'store' | 'redis'>,
  holds: (physicalKey: string) => Promise<boolean>,
) {
  const apps: CacheApp[] = [];
  const open = async (keyPrefix: string) => {
    const app = await startCacheApp(patient({ ...options(), keyPrefix }));
    apps.push(app);
    return app;
  };
  const holdsAll = async (prefix: string) => {
    const held = await Promise.all(KEYS.slice(0, 10).map((key) => holds(`${prefix}|${key}`)));
    return held.every(Boolean);
  };
  const fill = async (app: CacheApp, name: string) => {
    const values = valuesOf(name);
    expect(await app.client.setMany(KEYS.map((key, i) => ({ key, value: values[i] })))).toBe(true);
  };
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  let run = 0;
  for (const [shortName, longName] of [
    ['app:', 'app:v2:'],
    ['app', 'app:'],
  ]) {
    it(`'${shortName}' and '${longName}': each reads its own entries, written as keyPrefix|key, and each clear() leaves the other's`, async () => {
      // A namespace of this test's own in front, so that no other test's entries are in the way.
      const space = `r${++run}-`;
      const [short, long] = [space + shortName, space + longName];
      const [first, second] = [await open(short), await open(long)];
      await fill(first, short);
      expect(await second.client.getMany(KEYS)).toEqual(misses);
      await fill(second, long);
      expect(await holdsAll(short)).toBe(true);
      expect(await holdsAll(long)).toBe(true);

      expect(await first.client.clear()).toBe(true);
      expect(await first.client.getMany(KEYS)).toEqual(misses);
      expect(await second.client.getMany(KEYS)).toEqual(valuesOf(long));
      expect(await holds(`${short}|k0`)).toBe(false);
      expect(await holdsAll(long)).toBe(true);

      await fill(first, short);
      expect(await second.client.clear()).toBe(true);
      expect(await second.client.getMany(KEYS)).toEqual(misses);
      expect(await first.client.getMany(KEYS)).toEqual(valuesOf(short));
      expect(first.client.stats().errors + second.client.stats().errors).toBe(0);
    });
  }
}

describe('Redis key prefixes on one server', () => {
  let server: RedisServer;
  let inspector: Redis;
  beforeAll(async () => {
    server = await startRedis();
    inspector = inspectRedis(server.port);
  });
  afterAll(async () => {
    await inspector?.quit();
    await server?.stop();
  });

  describePrefixPairs(
    () => ({ store: 'redis', redis: { url: server.url } }),
    async (key) => (await inspector.exists(key)) === 1,
  );

  it("clear() leaves a foreign key that starts with the prefix but not with 'keyPrefix|'", async () => {
    const store = new RedisStore({
      keyPrefix: 'shop:',
      commandTimeout: 1000,
      connection: { url: server.url },
    });
    try {
      await store.set('cart', 'mine');
      await inspector.set('shop:cart', 'foreign');
      await inspector.set('shop:v2:|cart', 'foreign');
      expect(await inspector.get('shop:|cart')).toBe('mine');

      await store.clear();

      expect(await inspector.exists('shop:|cart')).toBe(0);
      expect(await inspector.mget('shop:cart', 'shop:v2:|cart')).toEqual(['foreign', 'foreign']);
    } finally {
      await store.close();
    }
  });

  it("refuses a keyPrefix containing '|' at startup, naming keyPrefix", async () => {
    const create = () =>
      new RedisStore({
        keyPrefix: 'app|v2:',
        commandTimeout: 1000,
        connection: { url: server.url },
      });
    expect(create).toThrow(CacheOptionsError);
    expect(create).toThrow(/"keyPrefix"/);
    await expect(
      startCacheApp({ store: 'redis', redis: { url: server.url }, keyPrefix: 'app|v2:' }),
    ).rejects.toThrow(/"keyPrefix".*'\|'/);
  });
});

describe('Redis key prefixes on a Redis Cluster (3 masters)', () => {
  let cluster: RedisClusterHarness;
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  // Held by the master of the physical key's own hash slot: the slot of `keyPrefix|key`.
  describePrefixPairs(
    () => ({ store: 'redis', redis: { cluster: { nodes: cluster.nodes } } }),
    async (key) => {
      const master = await cluster.masterOf(calculateSlot(key));
      return (await master.inspector.exists(key)) === 1;
    },
  );
});
