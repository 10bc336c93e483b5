import { describe } from 'vitest';
import type { BackendSpec } from '../support/cache-app.js';
import { describeCacheClient } from '../support/client-behaviour.js';
import { describeDecorators } from '../support/decorator-behaviour.js';
import { startMemcached } from '../support/servers.js';

const memcachedPool: BackendSpec = {
  name: 'memcached',
  shared: true,
  setup: async () => {
    const servers = await Promise.all([startMemcached(), startMemcached()]);
    return {
      options: (keyPrefix) => ({
        store: 'memcached',
        memcached: { servers: servers.map((s) => s.address) },
        keyPrefix,
      }),
      teardown: async () => {
        await Promise.all(servers.map((s) => s.stop()));
      },
    };
  },
};

describe('on a pool of two real memcached servers', () => {
  describeCacheClient(memcachedPool);
  describeDecorators(memcachedPool);
});
