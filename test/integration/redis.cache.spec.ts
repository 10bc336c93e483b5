import { describe } from 'vitest';
import type { BackendSpec } from '../support/cache-app.js';
import { describeCacheClient } from '../support/client-behaviour.js';
import { describeDecorators } from '../support/decorator-behaviour.js';
import { startRedis } from '../support/servers.js';

const redis: BackendSpec = {
  name: 'redis',
  shared: true,
  setup: async () => {
    const server = await startRedis();
    return {
      options: (keyPrefix) => ({ store: 'redis', redis: { url: server.url }, keyPrefix }),
      teardown: () => server.stop(),
    };
  },
};

describe('on a real redis-server', () => {
  describeCacheClient(redis);
  describeDecorators(redis);
});
