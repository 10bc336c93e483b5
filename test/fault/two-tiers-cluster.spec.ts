import { Logger } from '@nestjs/common';
import calculateSlot from 'cluster-key-slot';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CacheModuleOptions } from '../../lib/index.js';
import { busChannel } from '../../lib/tiers/invalidation-bus.js';
import { freshPrefix, startCacheApp, type CacheApp } from '../support/cache-app.js';
import { startRedisCluster, type RedisClusterHarness } from '../support/redis-cluster.js';
import { eventually } from '../support/store-contract.js';
import {
  busDelivered,
  busReceived,
  l1Distrusted,
  l1Trusted,
  tierHits,
} from '../support/two-tier-apps.js';

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
    const [a, b] = [await startCacheApp(options), await startCacheApp(options)];
    apps.push(a, b);
    await Promise.all([l1Trusted(a), l1Trusted(b)]);
    let heard = busReceived(b);
    await a.client.set('k', 'v1');
    await busDelivered(b, heard + 1);
    expect(await b.client.get('k')).toBe('v1');
    expect(await b.client.get('k')).toBe('v1');
    expect(tierHits(b).l1).toBe(1);

    const channel = busChannel(keyPrefix);
    const victim = await cluster.masterOf(calculateSlot(channel));
    await cluster.kill(victim);
    await l1Distrusted(b, 2000);
    expect(b.client.stats().l1?.entries).toBe(0);
    await cluster.failedOver(victim);
    await Promise.all([l1Trusted(a, 30_000), l1Trusted(b, 30_000)]);

    heard = busReceived(b);
    await eventually(async () => (await a.client.set('k', 'v2')) === true, 10_000);
    await busDelivered(b, heard + 1, 5000);
    expect(await b.client.get('k')).toBe('v2');
    expect(await b.client.get('k')).toBe('v2');
    const heir = await cluster.masterOf(calculateSlot(channel));
    const [, subscribers] = (await heir.inspector.call('PUBSUB', 'SHARDNUMSUB', channel)) as [
      string,
      number,
    ];
    expect(subscribers).toBe(2);
  }, 60_000);
});
