import { Cluster, type Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../lib/stores/redis.store.js';
import { inspectRedis } from '../support/redis-cli.js';
import { startRedis, type RedisServer } from '../support/servers.js';
import { describeStoreContract, eventually } from '../support/store-contract.js';

/** Three masters, no replicas, slots split evenly: enough to put keys of one call on many nodes. */
async function startCluster() {
  const servers = await Promise.all(
    [0, 1, 2].map(() => startRedis(['--cluster-enabled', 'yes', '--cluster-node-timeout', '2000'])),
  );
  const inspectors = servers.map((server) => inspectRedis(server.port));
  const ranges = [
    [0, 5460],
    [5461, 10922],
    [10923, 16383],
  ];
  await Promise.all(
    inspectors.map((node, i) => node.call('CLUSTER', 'ADDSLOTSRANGE', ...ranges[i])),
  );
  for (const server of servers.slice(1)) {
    await inspectors[0].call('CLUSTER', 'MEET', server.host, server.port);
  }
  const ok = async (node: Redis) =>
    String(await node.call('CLUSTER', 'INFO')).includes('cluster_state:ok') &&
    String(await node.call('CLUSTER', 'NODES'))
      .trim()
      .split('\n').length === 3;
  await eventually(async () => (await Promise.all(inspectors.map(ok))).every(Boolean), 20_000);
  return {
    servers,
    inspectors,
    nodes: servers.map(({ host, port }) => ({ host, port })),
    async stop() {
      await Promise.all(inspectors.map((node) => node.quit()));
      await Promise.all(servers.map((server: RedisServer) => server.stop()));
    },
  };
}

let cluster: Awaited<ReturnType<typeof startCluster>>;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

const openOn = (keyPrefix: string) =>
  new RedisStore({
    keyPrefix,
    commandTimeout: 1000,
    connection: { cluster: { nodes: cluster.nodes } },
  });

describeStoreContract('redis cluster', async () => ({ create: openOn }));

describe('RedisStore on a Redis Cluster', () => {
  const stores: RedisStore[] = [];
  const open = async (keyPrefix: string) => {
    const store = openOn(keyPrefix);
    stores.push(store);
    await store.ready();
    return store;
  };
  /** Keys of `prefix` (`prefix|…` on the server) held by each master. */
  const perNode = (prefix: string) =>
    Promise.all(
      cluster.inspectors.map(async (node) => {
        let [cursor, count] = ['0', 0];
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}|*`, 'COUNT', 1000);
          [cursor, count] = [next, count + keys.length];
        } while (cursor !== '0');
        return count;
      }),
    );
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
  });

  it('reads, writes and deletes 300 keys spread over every master without CROSSSLOT', async () => {
    const store = await open('spread:');
    const keys = Array.from({ length: 300 }, (_, i) => `k${i}`);
    await store.setMany(keys.map((key, i) => ({ key, value: `v${i}`, ttlMs: i % 2 ? 60_000 : 0 })));
    const counts = await perNode('spread:');
    expect(counts.every((count) => count > 0)).toBe(true);
    expect(counts.reduce((a, b) => a + b)).toBe(300);
    expect(await store.getMany([...keys, 'missing'])).toEqual([
      ...keys.map((_, i) => `v${i}`),
      undefined,
    ]);
    expect(await store.deleteMany([...keys, 'missing'])).toBe(300);
    expect(await perNode('spread:')).toEqual([0, 0, 0]);
  });

  it('with poolSize 3, opens three connections to every master, keeps them, and closes them', async () => {
    // Named, to tell them from the connections each Cluster client opens besides (its subscriber,
    // and a short-lived one per slot refresh).
    const connectionName = 'pool-of-three';
    const named = async (node: Redis) =>
      String(await node.client('LIST'))
        .split('\n')
        .filter((line) => line.includes(` name=${connectionName} `)).length;
    const connected = () => Promise.all(cluster.inspectors.map(named));
    const store = new RedisStore({
      keyPrefix: 'pool:',
      commandTimeout: 1000,
      connection: {
        cluster: { nodes: cluster.nodes, redisOptions: { connectionName } },
        poolSize: 3,
      },
    });
    try {
      await store.ready();
      const keys = Array.from({ length: 300 }, (_, i) => `k${i}`);
      const traffic = () =>
        Promise.all(keys.map((key, i) => (i % 2 ? store.set(key, 'v') : store.get(key))));
      await traffic();
      expect(await connected()).toEqual([3, 3, 3]);
      for (let round = 0; round < 3; round++) await traffic();
      expect(await connected()).toEqual([3, 3, 3]);
    } finally {
      await store.close();
    }
    await eventually(async () => (await connected()).every((count) => count === 0));
  });

  it('clear() scans every master and leaves foreign keys alone', async () => {
    const store = await open('wipe:');
    const keys = Array.from({ length: 1500 }, (_, i) => `k${i}`);
    await store.setMany(keys.map((key) => ({ key, value: 'v' })));
    expect((await perNode('wipe:')).every((count) => count > 0)).toBe(true);
    const plain = new Cluster(cluster.nodes);
    const foreign = Array.from({ length: 30 }, (_, i) => `wipe-foreign:|${i}`);
    try {
      for (const key of foreign) await plain.set(key, 'kept');
      expect((await perNode('wipe-foreign:')).every((count) => count > 0)).toBe(true);
      await store.clear();
      expect(await perNode('wipe:')).toEqual([0, 0, 0]);
      expect(await Promise.all(foreign.map((key) => plain.get(key)))).toEqual(
        foreign.map(() => 'kept'),
      );
    } finally {
      await plain.quit();
    }
  });
});
