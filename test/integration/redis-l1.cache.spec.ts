import { describe } from 'vitest';
import type { BackendSpec } from '../support/cache-app.js';
import { describeCacheClient } from '../support/client-behaviour.js';
import { describeDecorators } from '../support/decorator-behaviour.js';
import { describeRealApps } from '../support/real-app-behaviour.js';
import { startRedis } from '../support/servers.js';
import { describeTwoTiers } from '../support/two-tier-behaviour.js';

const redisWithL1: BackendSpec = {
  name: 'redis',
  shared: true,
  l1: true,
  setup: async () => {
    const server = await startRedis();
    return {
      options: (keyPrefix) => ({ store: 'redis', redis: { url: server.url }, keyPrefix, l1: true }),
      teardown: () => server.stop(),
    };
  },
};

describe('on a real redis-server, with the L1 tier', () => {
  describeCacheClient(redisWithL1);
  describeDecorators(redisWithL1);
  describeRealApps(redisWithL1);
  describeTwoTiers(redisWithL1);
});
