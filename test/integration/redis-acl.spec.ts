import { Injectable, Logger } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Cacheable, CacheEvict, type CacheModuleOptions } from '../../lib/index.js';
import { patient, startCacheApp, type CacheApp } from '../support/cache-app.js';
import { inspectRedis } from '../support/redis-cli.js';
import { startRedis, type RedisServer } from '../support/servers.js';
import { eventually } from '../support/store-contract.js';
import { busDelivered, l1Trusted } from '../support/two-tier-apps.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The one-line rule of the README's "Redis ACL" section, as the words a user pastes. */
function readmeAclRule(): string[] {
  const section = README.slice(README.indexOf('### Redis ACL'));
  const line = /^ACL SETUSER .+$/m.exec(section)?.[0];
  if (!line) throw new Error('the README\'s "Redis ACL" section has no ACL SETUSER line');
  return line.trim().split(/\s+/);
}

@Injectable()
class ProductService {
  loads = 0;

  @Cacheable({ key: (id: number) => `product:${id}`, tags: ['products'], ttl: 60 })
  async find(id: number): Promise<{ id: number; n: number }> {
    return { id, n: ++this.loads };
  }

  @CacheEvict({ tags: ['products'] })
  async renameAll(): Promise<void> {}
}

let server: RedisServer;
let admin: Redis;
let warn: ReturnType<typeof vi.spyOn>;

beforeAll(async () => {
  server = await startRedis();
  admin = inspectRedis(server.port);
  const [, , user, , password] = readmeAclRule();
  expect(user).toBe('cache');
  expect(password).toBe('>cache-password');
  await admin.call('ACL', ...readmeAclRule().slice(1));
  // A restricted user, the same line less EVAL and UNLINK: for the startup warning.
  const partial = readmeAclRule()
    .slice(1)
    .map((word) => (word === 'cache' ? 'partial' : word))
    .filter((word) => word !== '+eval' && word !== '+unlink');
  await admin.call('ACL', ...partial);
  // The same line without the bus channel.
  const noBus = readmeAclRule()
    .slice(1)
    .map((word) => (word === 'cache' ? 'nobus' : word))
    .filter((word) => !word.startsWith('&'));
  await admin.call('ACL', ...noBus);
});
afterAll(async () => {
  admin?.disconnect();
  await server?.stop();
});
beforeEach(() => {
  warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  return () => vi.restoreAllMocks();
});

/** Options for the default keyPrefix `cache:`, the one the README's line is written for. */
function asUser(user: string, extra: Partial<CacheModuleOptions> = {}): CacheModuleOptions {
  return patient({
    store: 'redis',
    redis: { url: `redis://${user}:cache-password@127.0.0.1:${server.port}` },
    ...extra,
  } as CacheModuleOptions);
}

function warnings(): string[] {
  return warn.mock.calls.map(([message]) => String(message));
}

describe("a Redis ACL user made by the README's one-line rule", () => {
  it('may do everything the cache does: reads, writes, many-key calls, tags, getOrSet with a distributed lock, clear()', async () => {
    const app = await startCacheApp(asUser('cache', { lock: 'distributed' }), [ProductService]);
    try {
      const { client } = app;
      expect(await client.set('a', 1, { ttl: 60, tags: ['t'] })).toBe(true);
      expect(await client.get('a')).toBe(1);
      expect(
        await client.setMany([
          { key: 'b', value: 2 },
          { key: 'c', value: 3 },
        ]),
      ).toBe(true);
      expect(await client.getMany(['a', 'b', 'c', 'x'])).toEqual([1, 2, 3, undefined]);
      expect(await client.has('b')).toBe(true);
      expect(await client.deleteMany(['b', 'c'])).toBe(2);
      await client.invalidateTags(['t']);
      expect(await client.get('a')).toBeUndefined();
      let loads = 0;
      const load = async () => ++loads;
      const values = await Promise.all([1, 2, 3].map(() => client.getOrSet('locked', load)));
      expect(values).toEqual([1, 1, 1]);
      expect(await client.getOrSet('locked', load)).toBe(1);

      const products = app.get(ProductService);
      expect((await products.find(1)).n).toBe(1);
      expect((await products.find(1)).n).toBe(1);
      await products.renameAll();
      expect((await products.find(1)).n).toBe(2);

      await client.set('d', 4);
      await client.clear();
      expect(await client.get('d')).toBeUndefined();
      expect(await admin.keys('cache:*')).toEqual([]);
      expect(client.stats().errors).toBe(0);
      expect(warnings()).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it("carries the L1 bus: a change made through one app server reaches the other's L1", async () => {
    const apps: CacheApp[] = [];
    try {
      apps.push(
        await startCacheApp(asUser('cache', { l1: true })),
        await startCacheApp(asUser('cache', { l1: true })),
      );
      const [a, b] = apps;
      await Promise.all([l1Trusted(a), l1Trusted(b)]);
      await a.client.set('shared', 'v1');
      await busDelivered(b, 1);
      expect(await b.client.get('shared')).toBe('v1');
      await a.client.set('shared', 'v2');
      await busDelivered(b, 2);
      expect(await b.client.get('shared')).toBe('v2');
      expect(a.client.stats().errors + b.client.stats().errors).toBe(0);
      expect(warnings()).toEqual([]);
    } finally {
      await Promise.all(apps.map((app) => app.close()));
    }
  });

  it('may not touch keys outside its keyPrefix: another prefix fails open and says so once', async () => {
    const app = await startCacheApp(asUser('cache', { keyPrefix: 'other:' }));
    try {
      expect(await app.client.set('a', 1)).toBe(false);
      expect(await app.client.get('a')).toBeUndefined();
      const lines = warnings();
      expect(lines[0]).toMatch(
        /may not run GET, MGET, SET, DEL, UNLINK, EVAL on the keys of keyPrefix "other:"/,
      );
      const failures = lines.filter((line) => line.includes('continuing without the cache'));
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatch(/ACL user .* \(NOPERM .*\)\. Grant the ACL rule/);
    } finally {
      await app.close();
    }
  });
});

describe('a Redis ACL user that lacks permissions', () => {
  it('gets one startup warning naming the commands it may not run, and the app starts', async () => {
    const app = await startCacheApp(asUser('partial'));
    try {
      const lines = warnings();
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/ACL user of the cache may not run UNLINK, EVAL on the keys/);
      expect(lines[0]).toMatch(/Grant the ACL rule of the README's "Security" section/);
      expect(await app.client.set('a', 1)).toBe(true);
      expect(await app.client.get('a')).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('without the bus channel: one warning that the L1 bus cannot subscribe and why; the cache still works', async () => {
    const app = await startCacheApp(asUser('nobus', { l1: true }));
    try {
      expect(await app.client.set('a', 1)).toBe(true);
      expect(await app.client.get('a')).toBe(1);
      await eventually(() => warnings().length > 0);
      const lines = warnings();
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/invalidation bus cannot subscribe, so L1 stays bypassed/);
      expect(lines[0]).toMatch(/\(NOPERM .*channel.*\)\. Grant the ACL rule/);
      expect(app.client.stats().l1?.trusted).toBe(false);
    } finally {
      await app.close();
    }
  });
});
