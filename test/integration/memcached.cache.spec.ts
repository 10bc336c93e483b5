import { describe } from 'vitest';
import type { BackendSpec } from '../support/cache-app.js';
import { describeCacheClient } from '../support/client-behaviour.js';
import { describeDecorators } from '../support/decorator-behaviour.js';
import { describeHostileInput } from '../support/hostile-behaviour.js';
import { describeRealApps } from '../support/real-app-behaviour.js';
import { describeResilience } from '../support/resilience-behaviour.js';
import { startMemcached } from '../support/servers.js';

const memcachedPool: BackendSpec = {
  name: 'memcached',
  shared: true,
  setup: async () => {
    const servers = await Promise.all([startMemcached(), startMemcached(), startMemcached()]);
    return {
      options: (keyPrefix) => ({
        store: 'memcached',
        // A ketama ring, one server with twice the others' share.
        memcached: { servers: servers.map((s, i) => (i === 2 ? `${s.address}:2` : s.address)) },
        keyPrefix,
      }),
      teardown: async () => {
        await Promise.all(servers.map((s) => s.stop()));
      },
    };
  },
};

describe('on a weighted pool of three real memcached servers', () => {
  describeCacheClient(memcachedPool);
  describeDecorators(memcachedPool);
  describeRealApps(memcachedPool);
  describeResilience(memcachedPool);
  describeHostileInput(memcachedPool);
});
