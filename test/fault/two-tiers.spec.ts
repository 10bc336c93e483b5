import { Logger } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CacheModuleOptions } from '../../lib/index.js';
import { BUS_DEFAULTS } from '../../lib/tiers/bus-options.js';
import { freshPrefix, startCacheApp, type CacheApp } from '../support/cache-app.js';
import {
  startMemcached,
  startRedis,
  type RedisServer,
  type ServerProcess,
} from '../support/servers.js';
import { eventually } from '../support/store-contract.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import {
  busDelivered,
  busReceived,
  l1Distrusted,
  l1Trusted,
  tierHits,
} from '../support/two-tier-apps.js';

/** A paused bus server is noticed within one heartbeat interval plus one PING timeout. */
const PAUSE_DETECTION_BOUND_MS = BUS_DEFAULTS.heartbeatInterval + BUS_DEFAULTS.commandTimeout;

const apps: CacheApp[] = [];
async function open(options: CacheModuleOptions): Promise<CacheApp> {
  const app = await startCacheApp(options);
  apps.push(app);
  return app;
}

beforeEach(() => {
  vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  vi.restoreAllMocks();
});

/**
 * Memcached holds the entries and a separate Redis carries the bus, so the bus can fail while the
 * store keeps working: the case where a stale L1 copy would otherwise be served.
 */
describe('L1 on memcached when the bus Redis fails', () => {
  let memcached: ServerProcess;
  let busRedis: RedisServer;

  beforeAll(async () => {
    [memcached, busRedis] = await Promise.all([startMemcached(), startRedis()]);
  });
  afterAll(async () => {
    await Promise.all([memcached?.stop(), busRedis?.stop()]);
  });

  const options = (keyPrefix: string, busPort = busRedis.port): CacheModuleOptions => ({
    store: 'memcached',
    memcached: { servers: [memcached.address] },
    keyPrefix,
    l1: true,
    bus: { redis: { host: busRedis.host, port: busPort } },
  });

  async function twoServers() {
    const keyPrefix = freshPrefix();
    const [a, b] = [await open(options(keyPrefix)), await open(options(keyPrefix))];
    await Promise.all([l1Trusted(a), l1Trusted(b)]);
    return { a, b, keyPrefix };
  }

  /** `b` holds `k` = v1 in its L1 (a second read was an L1 hit). */
  async function heldInL1(a: CacheApp, b: CacheApp) {
    const heard = busReceived(b);
    await a.client.set('k', 'v1');
    await busDelivered(b, heard + 1);
    expect(await b.client.get('k')).toBe('v1');
    expect(await b.client.get('k')).toBe('v1');
    expect(tierHits(b).l1).toBeGreaterThanOrEqual(1);
  }

  /** Both trust L1 again, A's queued message went out, and B answers v2, from L1 again. */
  async function busBackWithCurrentValue(a: CacheApp, b: CacheApp) {
    await Promise.all([l1Trusted(a), l1Trusted(b)]);
    await eventually(() => a.client.stats().bus?.queued === 0);
    expect(await b.client.get('k')).toBe('v2');
    await eventually(async () => {
      const before = tierHits(b).l1;
      return (await b.client.get('k')) === 'v2' && tierHits(b).l1 === before + 1;
    });
  }

  it('killed: L1 is emptied and bypassed at once, a change made meanwhile is read from the store, L1 answers again after the restart', async () => {
    const { a, b } = await twoServers();
    await heldInL1(a, b);

    await busRedis.kill();
    await l1Distrusted(b, 2000);
    expect(b.client.stats().l1).toMatchObject({ entries: 0, trusted: false });
    await a.client.set('k', 'v2');
    const l1Before = tierHits(b).l1;
    expect(await b.client.get('k')).toBe('v2');
    expect(await b.client.get('k')).toBe('v2');
    expect(tierHits(b).l1).toBe(l1Before);
    expect(a.client.stats().bus?.queued).toBe(1);

    await busRedis.restart();
    await busBackWithCurrentValue(a, b);
  });

  it(`paused (SIGSTOP): L1 is distrusted within ${PAUSE_DETECTION_BOUND_MS} ms, a change made meanwhile is then read from the store, L1 answers again after resume`, async () => {
    const { a, b } = await twoServers();
    await heldInL1(a, b);

    const paused = performance.now();
    await busRedis.pause();
    try {
      const writing = performance.now();
      await a.client.set('k', 'v2');
      // The write's publish is held to commandTimeout, then queued.
      expect(performance.now() - writing).toBeLessThan(BUS_DEFAULTS.commandTimeout + 1000);
      await l1Distrusted(b, PAUSE_DETECTION_BOUND_MS + 1500);
      // Generous margin over the bound for a loaded 2-core machine.
      expect(performance.now() - paused).toBeLessThan(PAUSE_DETECTION_BOUND_MS + 1500);
      expect(await b.client.get('k')).toBe('v2');
    } finally {
      busRedis.resume();
    }
    await busBackWithCurrentValue(a, b);
  });

  describe('when one app server alone is cut off from the bus', () => {
    let proxy: TcpProxy;
    afterEach(async () => {
      await proxy?.stop();
    });

    it('a change it could not announce reaches the others once its connection returns', async () => {
      proxy = await startTcpProxy(busRedis.port);
      const keyPrefix = freshPrefix();
      const a = await open(options(keyPrefix, proxy.port));
      const b = await open(options(keyPrefix));
      await Promise.all([l1Trusted(a), l1Trusted(b)]);
      await heldInL1(a, b);

      await proxy.cut();
      await l1Distrusted(a, 2000);
      expect(await a.client.set('k', 'v2')).toBe(true);
      expect(a.client.stats().bus?.queued).toBe(1);
      // B's bus is up and was told nothing: its copy is stale until A's message arrives (or
      // l1.ttl ends it): the bound the README states for this partition.
      expect(await b.client.get('k')).toBe('v1');

      const heard = busReceived(b);
      await proxy.restore();
      await busDelivered(b, heard + 1, 10_000);
      expect(await b.client.get('k')).toBe('v2');
      expect(a.client.stats().bus).toMatchObject({ queued: 0, lost: 0 });
    });
  });
});

describe('L1 on Redis when Redis is killed and restarted empty', () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('serves nothing from L1 while Redis is down, and none of its old entries after the restart', async () => {
    const keyPrefix = freshPrefix();
    const options: CacheModuleOptions = {
      store: 'redis',
      redis: { url: redis.url },
      keyPrefix,
      l1: true,
    };
    const [a, b] = [await open(options), await open(options)];
    await Promise.all([l1Trusted(a), l1Trusted(b)]);
    await a.client.set('k', 'v1');
    await busDelivered(b, 1);
    expect(await b.client.get('k')).toBe('v1');
    expect(await b.client.get('k')).toBe('v1');
    expect(tierHits(b).l1).toBe(1);

    await redis.kill();
    await Promise.all([l1Distrusted(a, 2000), l1Distrusted(b, 2000)]);
    expect(await a.client.get('k')).toBeUndefined();
    expect(await b.client.get('k')).toBeUndefined();

    await redis.restart();
    await Promise.all([l1Trusted(a), l1Trusted(b)]);
    expect(await b.client.get('k')).toBeUndefined();
    // Each app's bus may be subscribed again before its store's own connection is back: until
    // then a write answers false and a read misses (fail open).
    await eventually(async () => (await a.client.set('k', 'v2')) === true, 10_000);
    await busDelivered(b, 2, 5000);
    await eventually(async () => (await b.client.get('k')) === 'v2', 10_000);
    expect(await b.client.get('k')).toBe('v2');
  });
});
