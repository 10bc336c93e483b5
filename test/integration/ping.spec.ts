import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CacheModuleOptions, CachePing } from '../../lib/index.js';
import { freshPrefix, patient, startCacheApp, type CacheApp } from '../support/cache-app.js';
import { startRedisCluster, type RedisClusterHarness } from '../support/redis-cluster.js';
import { startRedisSentinel, type RedisSentinelHarness } from '../support/redis-sentinel.js';
import { startMemcached, startRedis, type ServerProcess } from '../support/servers.js';

/** Every node up, each with a round trip. */
function expectAllUp(result: CachePing, addresses: string[]): void {
  expect(result.ok).toBe(true);
  expect(result.nodes.map((node) => node.address).sort()).toEqual([...addresses].sort());
  for (const node of result.nodes) {
    expect(node).toEqual({ address: node.address, ok: true, latencyMs: expect.any(Number) });
    expect(node.latencyMs).toBeGreaterThanOrEqual(0);
  }
}

describe('CacheClient.ping() on real servers', () => {
  let app: CacheApp | undefined;
  const start = async (options: CacheModuleOptions) => {
    app = await startCacheApp(patient({ ...options, keyPrefix: freshPrefix() }));
    return app.client;
  };

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('reports the memory store as one node, "memory", up', async () => {
    const client = await start({ store: 'memory' });
    expectAllUp(await client.ping(), ['memory']);
  });

  describe('Redis standalone', () => {
    let redis: ServerProcess;
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(async () => {
      await redis?.stop();
    });

    it('reports the server by host:port', async () => {
      const client = await start({ store: 'redis', redis: { url: `redis://${redis.address}` } });
      expectAllUp(await client.ping(), [redis.address]);
    });
  });

  describe('Redis Cluster', () => {
    let cluster: RedisClusterHarness;
    beforeAll(async () => {
      cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
    }, 60_000);
    afterAll(async () => {
      await cluster?.stop();
    });

    it('lists every master, and no replica', async () => {
      const client = await start({ store: 'redis', redis: { cluster: { nodes: cluster.nodes } } });
      const masters = await Promise.all([0, 5461, 10923].map((slot) => cluster.masterOf(slot)));
      expectAllUp(
        await client.ping(),
        masters.map(({ server }) => server.address),
      );
    });
  });

  describe('Redis Sentinel', () => {
    let sentinel: RedisSentinelHarness;
    beforeAll(async () => {
      sentinel = await startRedisSentinel();
    }, 60_000);
    afterAll(async () => {
      await sentinel?.stop();
    });

    it('reports the master it is connected to by host:port', async () => {
      const { name, sentinels } = sentinel;
      const client = await start({ store: 'redis', redis: { sentinel: { name, sentinels } } });
      const master = await sentinel.master();
      expectAllUp(await client.ping(), [master.server.address]);
    });
  });

  describe('Memcached pool', () => {
    let servers: ServerProcess[];
    beforeAll(async () => {
      servers = await Promise.all([startMemcached(), startMemcached(), startMemcached()]);
    });
    afterAll(async () => {
      await Promise.all(servers?.map((server) => server.stop()) ?? []);
    });

    it('lists every server of the pool', async () => {
      const addresses = servers.map((server) => server.address);
      const client = await start({ store: 'memcached', memcached: { servers: addresses } });
      expectAllUp(await client.ping(), addresses);
    });
  });
});
