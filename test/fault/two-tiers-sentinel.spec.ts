import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CacheModuleOptions } from '../../lib/index.js';
import { freshPrefix, startCacheApp, type CacheApp } from '../support/cache-app.js';
import { startRedisSentinel, type RedisSentinelHarness } from '../support/redis-sentinel.js';
import { eventually } from '../support/store-contract.js';
import {
  busDelivered,
  busReceived,
  l1Distrusted,
  l1Trusted,
  tierHits,
} from '../support/two-tier-apps.js';

describe('L1 through Redis Sentinel when the master dies', () => {
  let setup: RedisSentinelHarness;
  const apps: CacheApp[] = [];

  beforeAll(async () => {
    setup = await startRedisSentinel();
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await setup?.stop();
    vi.restoreAllMocks();
  });

  it('distrusts L1 while the master is down, and the bus is back on the promoted replica', async () => {
    const options: CacheModuleOptions = {
      store: 'redis',
      redis: { sentinel: { sentinels: setup.sentinels, name: setup.name } },
      keyPrefix: freshPrefix(),
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

    const master = await setup.master();
    const [replica] = setup.nodes.filter((node) => node !== master);
    await setup.kill(master);
    await l1Distrusted(b, 2000);
    expect(b.client.stats().l1?.entries).toBe(0);
    await eventually(async () => (await setup.master().catch(() => undefined)) === replica, 30_000);
    await Promise.all([l1Trusted(a, 30_000), l1Trusted(b, 30_000)]);

    heard = busReceived(b);
    await eventually(async () => (await a.client.set('k', 'v2')) === true, 10_000);
    await busDelivered(b, heard + 1, 5000);
    expect(await b.client.get('k')).toBe('v2');
    expect(await b.client.get('k')).toBe('v2');
    const [, subscribers] = (await replica.inspector.call(
      'PUBSUB',
      'NUMSUB',
      `${options.keyPrefix}bus`,
    )) as [string, number];
    expect(subscribers).toBe(2);
  }, 60_000);
});
