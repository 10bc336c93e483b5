import { Logger } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  freshPrefix,
  patient,
  startCacheApp,
  type BackendSpec,
  type CacheApp,
} from '../support/cache-app.js';
import { describeCacheClient } from '../support/client-behaviour.js';
import { describeDecorators } from '../support/decorator-behaviour.js';
import {
  startMemcached,
  startRedis,
  type RedisServer,
  type ServerProcess,
} from '../support/servers.js';
import { tierHits } from '../support/two-tier-apps.js';
import { describeTwoTiers } from '../support/two-tier-behaviour.js';

/** A pool of two memcached servers, and one Redis that carries only the bus. */
let pool: ServerProcess[];
let busRedis: RedisServer;
beforeAll(async () => {
  [busRedis, ...pool] = await Promise.all([startRedis(), startMemcached(), startMemcached()]);
});
afterAll(async () => {
  await Promise.all([busRedis, ...pool].map((server) => server?.stop()));
});

const memcachedOptions = (keyPrefix: string) => ({
  store: 'memcached' as const,
  memcached: { servers: pool.map((server) => server.address) },
  keyPrefix,
});

const memcachedWithBus: BackendSpec = {
  name: 'memcached',
  shared: true,
  l1: true,
  setup: async () => ({
    options: (keyPrefix) => ({
      ...memcachedOptions(keyPrefix),
      l1: true,
      bus: { redis: { url: busRedis.url } },
    }),
    teardown: async () => undefined,
  }),
};

describe('on a pool of two memcached servers with L1 and a Redis bus', () => {
  describeCacheClient(memcachedWithBus);
  describeDecorators(memcachedWithBus);
  describeTwoTiers(memcachedWithBus);
});

describe('on memcached with L1 and no bus', () => {
  const apps: CacheApp[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it('says once at startup that L1 is bounded by l1.ttl only', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    apps.push(await startCacheApp(patient({ ...memcachedOptions(freshPrefix()), l1: true })));
    const warnings = warn.mock.calls.map(([message]) => String(message));
    expect(warnings.filter((message) => message.includes('no invalidation bus'))).toHaveLength(1);
    expect(warnings.join('\n')).toContain('l1.ttl');
  });

  it('answers from L1 at once, and sees a change made elsewhere once its L1 copy expires', async () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const keyPrefix = freshPrefix();
    const options = patient({ ...memcachedOptions(keyPrefix), l1: { ttl: '400ms' } });
    const [a, b] = [await startCacheApp(options), await startCacheApp(options)];
    apps.push(a, b);
    await a.client.set('k', 'v1');
    expect(await b.client.get('k')).toBe('v1');
    await a.client.set('k', 'v2');
    expect(await b.client.get('k')).toBe('v1');
    expect(tierHits(b)).toEqual({ l1: 1, l2: 1 });
    expect(b.client.stats().bus).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await b.client.get('k')).toBe('v2');
  });
});
