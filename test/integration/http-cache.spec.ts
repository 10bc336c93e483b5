import { describe } from 'vitest';
import type { BackendSpec } from '../support/cache-app.js';
import { describeHttpCache } from '../support/http-cache-behaviour.js';
import { startRedis } from '../support/servers.js';

const memory: BackendSpec = {
  name: 'memory',
  shared: false,
  setup: async () => ({
    options: (keyPrefix) => ({ store: 'memory', keyPrefix }),
    teardown: async () => undefined,
  }),
};

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

describe('HTTP response caching', () => {
  describeHttpCache(memory);
  describeHttpCache(redis);
});
