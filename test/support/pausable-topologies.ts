import calculateSlot from 'cluster-key-slot';
import type { CacheModuleOptions } from '../../lib/index.js';
import { memcachedKeys } from './memcached-stats.js';
import { startRedisCluster, type RedisClusterHarness } from './redis-cluster.js';
import { startMemcached, startRedis, type ServerProcess } from './servers.js';
import { eventually } from './store-contract.js';

/** Servers a fault test pauses one of: the one that holds a given key. */
export interface PausableTopology {
  /** The store section of the module options. */
  options(): CacheModuleOptions;
  /** The server holding `key` (a logical key, already written under `keyPrefix`). */
  ownerOf(key: string, keyPrefix: string): Promise<ServerProcess>;
  stop(): Promise<void>;
}

export interface TopologySpec {
  name: string;
  start(): Promise<PausableTopology>;
}

export const redisStandalone: TopologySpec = {
  name: 'Redis standalone',
  async start() {
    const server = await startRedis();
    return {
      options: () => ({ store: 'redis', redis: { url: `redis://${server.address}` } }),
      ownerOf: async () => server,
      stop: () => server.stop(),
    };
  },
};

/** Three masters without replicas and a long node timeout: a paused master stays the owner. */
export const redisCluster: TopologySpec = {
  name: 'Redis Cluster',
  async start() {
    const cluster: RedisClusterHarness = await startRedisCluster({
      masters: 3,
      replicasPerMaster: 0,
      nodeTimeoutMs: 30_000,
    });
    return {
      options: () => ({ store: 'redis', redis: { cluster: { nodes: cluster.nodes } } }),
      ownerOf: async (key, keyPrefix) =>
        (await cluster.masterOf(calculateSlot(`${keyPrefix}|${key}`))).server,
      stop: () => cluster.stop(),
    };
  },
};

export const memcachedPool: TopologySpec = {
  name: 'Memcached pool',
  async start() {
    const servers = await Promise.all([startMemcached(), startMemcached(), startMemcached()]);
    return {
      options: () => ({
        store: 'memcached',
        memcached: { servers: servers.map((server) => server.address) },
      }),
      async ownerOf(key, keyPrefix) {
        let index = -1;
        // The crawler's dump can lag a write just made: look again for a moment.
        await eventually(async () => {
          const dumps = await Promise.all(servers.map((server) => memcachedKeys(server.port)));
          index = dumps.findIndex((keys) =>
            keys.some((stored) => stored.startsWith(keyPrefix) && stored.endsWith(`:${key}`)),
          );
          return index >= 0;
        }, 3000);
        return servers[index];
      },
      stop: async () => void (await Promise.all(servers.map((server) => server.stop()))),
    };
  },
};

export const pausableTopologies = [redisStandalone, redisCluster, memcachedPool];
