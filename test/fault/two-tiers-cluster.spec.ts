import { Logger } from '@nestjs/common';
import calculateSlot from 'cluster-key-slot';
import { afterAll, beforeAll, describe, it, vi } from 'vitest';
import type { CacheModuleOptions } from '../../lib/index.js';
import { busChannel } from '../../lib/tiers/invalidation-bus.js';
import { freshPrefix, type CacheApp } from '../support/cache-app.js';
import { startRedisCluster, type RedisClusterHarness } from '../support/redis-cluster.js';
import { expectL1ThroughFailover } from '../support/two-tier-apps.js';

describe('L1 on a Redis Cluster when the master of the bus shard dies', () => {
  let cluster: RedisClusterHarness;
  const apps: CacheApp[] = [];

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 2000 });
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await cluster?.stop();
    vi.restoreAllMocks();
  });

  it('distrusts L1 while that shard is down, and the bus is back on the promoted replica', async () => {
    const keyPrefix = freshPrefix();
    const options: CacheModuleOptions = {
      store: 'redis',
      redis: { cluster: { nodes: cluster.nodes } },
      keyPrefix,
      l1: true,
    };
    const channel = busChannel(keyPrefix);
    const victim = await cluster.masterOf(calculateSlot(channel));
    await expectL1ThroughFailover(
      options,
      {
        kill: () => cluster.kill(victim),
        recovered: () => cluster.failedOver(victim),
        subscribers: async () => {
          const heir = await cluster.masterOf(calculateSlot(channel));
          const reply = await heir.inspector.call('PUBSUB', 'SHARDNUMSUB', channel);
          return (reply as [string, number])[1];
        },
      },
      apps,
    );
  }, 60_000);
});
