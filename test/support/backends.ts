import type { BackendSpec } from './cache-app.js';
import { startRedis } from './servers.js';

/** The in-process store: nothing to start. */
export const memoryBackend: BackendSpec = {
  name: 'memory',
  shared: false,
  setup: async () => ({
    options: (keyPrefix) => ({ store: 'memory', keyPrefix }),
    teardown: async () => undefined,
  }),
};

/** One real redis-server on a free port, started for the suite. */
export const redisBackend: BackendSpec = {
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
