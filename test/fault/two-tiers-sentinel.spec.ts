import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, it, vi } from 'vitest';
import type { CacheModuleOptions } from '../../lib/index.js';
import { busChannel } from '../../lib/tiers/invalidation-bus.js';
import { freshPrefix, type CacheApp } from '../support/cache-app.js';
import { startRedisSentinel, type RedisSentinelHarness } from '../support/redis-sentinel.js';
import { eventually } from '../support/store-contract.js';
import { expectL1ThroughFailover } from '../support/two-tier-apps.js';

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
    const keyPrefix = freshPrefix();
    const options: CacheModuleOptions = {
      store: 'redis',
      redis: { sentinel: { sentinels: setup.sentinels, name: setup.name } },
      keyPrefix,
      l1: true,
    };
    const master = await setup.master();
    const [replica] = setup.nodes.filter((node) => node !== master);
    await expectL1ThroughFailover(
      options,
      {
        kill: () => setup.kill(master),
        recovered: () =>
          eventually(async () => (await setup.master().catch(() => undefined)) === replica, 30_000),
        subscribers: async () => {
          const reply = await replica.inspector.call('PUBSUB', 'NUMSUB', busChannel(keyPrefix));
          return (reply as [string, number])[1];
        },
      },
      apps,
    );
  }, 60_000);
});
