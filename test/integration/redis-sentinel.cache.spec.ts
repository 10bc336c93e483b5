import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPrefix, patient, startCacheApp, type BackendSpec } from '../support/cache-app.js';
import { describeCacheClient } from '../support/client-behaviour.js';
import { describeDecorators } from '../support/decorator-behaviour.js';
import { describeRealApps } from '../support/real-app-behaviour.js';
import { describeTwoTiers } from '../support/two-tier-behaviour.js';
import { eventually } from '../support/store-contract.js';
import { startRedisSentinel, type RedisSentinelHarness } from '../support/redis-sentinel.js';

/** One master, one replica and three sentinels for the whole file; each suite has its own prefix. */
let setup: RedisSentinelHarness;
beforeAll(async () => {
  setup = await startRedisSentinel();
});
afterAll(async () => {
  await setup?.stop();
});

const redisSentinel: BackendSpec = {
  name: 'redis',
  shared: true,
  setup: async () => ({
    options: (keyPrefix) => ({
      store: 'redis',
      redis: { sentinel: { sentinels: setup.sentinels, name: setup.name } },
      keyPrefix,
    }),
    teardown: async () => undefined,
  }),
};

const redisSentinelWithL1: BackendSpec = {
  ...redisSentinel,
  l1: true,
  setup: async () => ({
    options: (keyPrefix) => ({
      store: 'redis',
      redis: { sentinel: { sentinels: setup.sentinels, name: setup.name } },
      keyPrefix,
      l1: true,
    }),
    teardown: async () => undefined,
  }),
};

describe('through Redis Sentinel (1 master, 1 replica, 3 sentinels)', () => {
  describeCacheClient(redisSentinel);
  describeDecorators(redisSentinel);
  describeRealApps(redisSentinel);

  describe('with the L1 tier', () => {
    describeCacheClient(redisSentinelWithL1);
    describeTwoTiers(redisSentinelWithL1);
  });

  it('writes to the master the sentinels name, and the replica receives the entries', async () => {
    const keyPrefix = freshPrefix();
    const app = await startCacheApp(
      patient({
        store: 'redis',
        redis: { sentinel: { sentinels: setup.sentinels, name: setup.name } },
        keyPrefix,
      }),
    );
    try {
      const master = await setup.master();
      const [replica] = setup.nodes.filter((node) => node !== master);
      expect(await app.client.set('where', 'master')).toBe(true);
      expect(await master.inspector.exists(`${keyPrefix}|where`)).toBe(1);
      await eventually(async () => (await replica.inspector.exists(`${keyPrefix}|where`)) === 1);
      expect(await app.client.get('where')).toBe('master');
    } finally {
      await app.close();
    }
  });
});
