import calculateSlot from 'cluster-key-slot';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  freshPrefix,
  patient,
  startCacheApp,
  type BackendSpec,
  type CacheApp,
} from '../support/cache-app.js';
import { describeCacheClient } from '../support/client-behaviour.js';
import { describeDecorators } from '../support/decorator-behaviour.js';
import { describeRealApps } from '../support/real-app-behaviour.js';
import { describeResilience } from '../support/resilience-behaviour.js';
import { describeTwoTiers } from '../support/two-tier-behaviour.js';
import {
  keysInSlots,
  startRedisCluster,
  type ClusterMember,
  type RedisClusterHarness,
} from '../support/redis-cluster.js';

/** One 3-master, 3-replica cluster for the whole file; each suite works in its own key prefix. */
let cluster: RedisClusterHarness;
beforeAll(async () => {
  cluster = await startRedisCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

const redisCluster: BackendSpec = {
  name: 'redis',
  shared: true,
  setup: async () => ({
    options: clusterOptions,
    teardown: async () => undefined,
  }),
};

const redisClusterWithL1: BackendSpec = {
  ...redisCluster,
  l1: true,
  setup: async () => ({
    options: (keyPrefix) => ({ ...clusterOptions(keyPrefix), l1: true }),
    teardown: async () => undefined,
  }),
};

function clusterOptions(keyPrefix: string) {
  return { store: 'redis' as const, redis: { cluster: { nodes: cluster.nodes } }, keyPrefix };
}

describe('on a real Redis Cluster (3 masters, 3 replicas)', () => {
  describeCacheClient(redisCluster);
  describeDecorators(redisCluster);
  describeRealApps(redisCluster);
  describeResilience(redisCluster);

  describe('with the L1 tier (sharded pub/sub bus)', () => {
    describeCacheClient(redisClusterWithL1);
    describeTwoTiers(redisClusterWithL1);
  });

  describe('keys on every master', () => {
    const apps: CacheApp[] = [];
    const open = async (keyPrefix = freshPrefix()) => {
      const app = await startCacheApp(
        patient({ store: 'redis', redis: { cluster: { nodes: cluster.nodes } }, keyPrefix }),
      );
      apps.push(app);
      return { app, keyPrefix };
    };
    afterEach(async () => {
      await Promise.all(apps.splice(0).map((app) => app.close()));
    });

    const masters = async () => {
      const found = new Map<string, ClusterMember>();
      for (const member of cluster.members) {
        const slots = await cluster.slotsOf(member);
        if (slots.length > 0) found.set(member.id, member);
      }
      return [...found.values()];
    };
    /** Keys under `prefix` each master holds. */
    const perMaster = async (prefix: string) =>
      Promise.all(
        (await masters()).map(async ({ inspector }) => {
          let [cursor, count] = ['0', 0];
          do {
            const [next, keys] = await inspector.scan(
              cursor,
              'MATCH',
              `${prefix}|*`,
              'COUNT',
              1000,
            );
            [cursor, count] = [next, count + keys.length];
          } while (cursor !== '0');
          return count;
        }),
      );

    it('tags entries with tags held by three different masters, and invalidates one of them without CROSSSLOT', async () => {
      const { app, keyPrefix } = await open();
      // One tag per master: each tag's version key lives on a different node.
      const tags = await Promise.all(
        (await masters()).map(async (master) => {
          const [tag] = keysInSlots(
            await cluster.slotsOf(master),
            1,
            (i) => `team-${i}`,
            `${keyPrefix}|__tag__:`,
          );
          return tag;
        }),
      );
      const owners = await Promise.all(
        tags.map((tag) => cluster.masterOf(calculateSlot(`${keyPrefix}|__tag__:${tag}`))),
      );
      expect(new Set(owners).size).toBe(3);

      const keys = Array.from({ length: 90 }, (_, i) => `member:${i}`);
      for (const [i, key] of keys.entries()) {
        expect(
          await app.client.set(key, i, { ttl: '1h', tags: [tags[i % 3], tags[(i + 1) % 3]] }),
        ).toBe(true);
      }
      expect(await app.client.getMany(keys)).toEqual(keys.map((_, i) => i));

      expect(await app.client.invalidateTags([tags[0]])).toBe(true);
      const expected = keys.map((_, i) => (i % 3 === 0 || (i + 1) % 3 === 0 ? undefined : i));
      expect(await app.client.getMany(keys)).toEqual(expected);
      expect(app.client.stats().errors).toBe(0);
    });

    it('clear() removes its prefix from every master and leaves another prefix alone', async () => {
      const { app, keyPrefix } = await open();
      const { app: other, keyPrefix: otherPrefix } = await open();
      const entries = Array.from({ length: 300 }, (_, i) => ({ key: `k${i}`, value: i }));
      expect(await app.client.setMany(entries)).toBe(true);
      expect(await other.client.setMany(entries)).toBe(true);
      expect((await perMaster(keyPrefix)).every((count) => count > 0)).toBe(true);

      expect(await app.client.clear()).toBe(true);

      expect(await perMaster(keyPrefix)).toEqual([0, 0, 0]);
      expect((await perMaster(otherPrefix)).reduce((a, b) => a + b)).toBe(300);
      expect(await other.client.get('k299')).toBe(299);
      expect(app.client.stats().errors).toBe(0);
    });
  });
});
