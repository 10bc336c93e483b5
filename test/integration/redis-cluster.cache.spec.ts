import { afterAll, beforeAll, describe } from 'vitest';
import type { BackendSpec } from '../support/cache-app.js';
import { describeCacheClient } from '../support/client-behaviour.js';
import { describeDecorators } from '../support/decorator-behaviour.js';
import { startRedisCluster, type RedisClusterHarness } from '../support/redis-cluster.js';

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
    options: (keyPrefix) => ({
      store: 'redis',
      redis: { cluster: { nodes: cluster.nodes } },
      keyPrefix,
    }),
    teardown: async () => undefined,
  }),
};

describe('on a real Redis Cluster (3 masters, 3 replicas)', () => {
  describeCacheClient(redisCluster);
  describeDecorators(redisCluster);
});
