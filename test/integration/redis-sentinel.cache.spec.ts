import { afterAll, beforeAll, describe } from 'vitest';
import type { BackendSpec } from '../support/cache-app.js';
import { describeCacheClient } from '../support/client-behaviour.js';
import { describeDecorators } from '../support/decorator-behaviour.js';
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

describe('through Redis Sentinel (1 master, 1 replica, 3 sentinels)', () => {
  describeCacheClient(redisSentinel);
  describeDecorators(redisSentinel);
});
