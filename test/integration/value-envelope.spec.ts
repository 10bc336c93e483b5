import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CacheModuleOptions } from '../../lib/index.js';
import { freshPrefix, patient, startCacheApp, type CacheApp } from '../support/cache-app.js';
import {
  startMemcached,
  startRedis,
  type RedisServer,
  type ServerProcess,
} from '../support/servers.js';

const newKey = () => randomBytes(32).toString('base64');
const profile = { email: 'ada@example.com', bio: 'analytical engine '.repeat(200) };

describe('encryption and compression on a real redis-server', () => {
  let server: RedisServer;
  let inspector: Redis;
  const apps: CacheApp[] = [];
  const open = async (keyPrefix: string, options: Partial<CacheModuleOptions>) => {
    const app = await startCacheApp(
      patient({ store: 'redis', redis: { url: server.url }, keyPrefix, ...options }),
    );
    apps.push(app);
    return app;
  };
  const raw = (keyPrefix: string, key: string) => inspector.get(`${keyPrefix}|${key}`);

  beforeAll(async () => {
    server = await startRedis();
    inspector = new Redis(server.url);
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  afterAll(async () => {
    inspector?.disconnect();
    await server?.stop();
  });

  it('stores no plaintext: the server holds only the sealed value, which reads back', async () => {
    const keyPrefix = freshPrefix();
    const app = await open(keyPrefix, { encryption: { keys: [newKey()] } });
    await app.client.set('user:1', profile, { ttl: '1h', tags: ['users'] });
    const stored = (await raw(keyPrefix, 'user:1'))!;
    // Base64 after the key id: no JSON (quotes, braces, the tag list) can be in it. Fragments with
    // characters base64 never holds, so that ciphertext cannot spell them by chance ('ada' can).
    expect(stored).toMatch(/^S[0-9a-f]{8}:[A-Za-z0-9+/]+={0,2}$/);
    expect(stored).not.toContain('ada@example.com');
    expect(stored).not.toContain('analytical engine');
    expect(await app.client.get('user:1')).toEqual(profile);
  });

  it('rotates keys: a new first key seals, the old one still opens; dropped, its entries miss and are removed', async () => {
    const keyPrefix = freshPrefix();
    const [oldKey, nextKey] = [newKey(), newKey()];
    const before = await open(keyPrefix, { encryption: { keys: [oldKey] } });
    await before.client.set('k', 'v1');
    const rotating = await open(keyPrefix, { encryption: { keys: [nextKey, oldKey] } });
    expect(await rotating.client.get('k')).toBe('v1');
    await rotating.client.set('k2', 'v2');
    const after = await open(keyPrefix, { encryption: { keys: [nextKey] } });
    const warn = vi.spyOn(Logger.prototype, 'warn');
    expect(await after.client.get('k2')).toBe('v2');
    expect(await after.client.get('k')).toBeUndefined();
    expect(await raw(keyPrefix, 'k')).toBeNull();
    expect(after.client.stats().errors).toBe(0);
    expect(warn).not.toHaveBeenCalled();
  });

  it('treats a value tampered with, moved under another key or planted in plain text as a miss, removes it and says so', async () => {
    const keyPrefix = freshPrefix();
    const app = await open(keyPrefix, { encryption: { keys: [newKey()] } });
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await app.client.set('a', 'secret-a');
    const sealed = (await raw(keyPrefix, 'a'))!;
    await inspector.set(`${keyPrefix}|b`, sealed);
    await inspector.set(`${keyPrefix}|c`, 'J"planted"');
    await inspector.set(
      `${keyPrefix}|a`,
      sealed.slice(0, -4) + (sealed.endsWith('AAAA') ? 'BBBB' : 'AAAA'),
    );
    for (const key of ['a', 'b', 'c']) {
      expect(await app.client.get(key)).toBeUndefined();
      expect(await raw(keyPrefix, key)).toBeNull();
    }
    expect(app.client.stats().errors).toBe(3);
    expect(String(warn.mock.calls[0][0])).toMatch(/cannot be opened \((tampered|damaged)\)/);
  });

  it('compresses values over the threshold; entries written before still read', async () => {
    const keyPrefix = freshPrefix();
    const plain = await open(keyPrefix, {});
    await plain.client.set('old', profile);
    const compressing = await open(keyPrefix, {
      compression: { threshold: 1024, algorithm: 'brotli' },
    });
    await compressing.client.set('big', profile);
    await compressing.client.set('small', { n: 1 });
    const big = (await raw(keyPrefix, 'big'))!;
    expect(big.startsWith('Zb')).toBe(true);
    expect(big.length).toBeLessThan(JSON.stringify(profile).length / 5);
    expect(await raw(keyPrefix, 'small')).toBe('J{"n":1}');
    expect(await compressing.client.get('big')).toEqual(profile);
    expect(await compressing.client.get('old')).toEqual(profile);
  });

  it('works with the L1 tier: each server opens what another sealed', async () => {
    const keyPrefix = freshPrefix();
    const options = { l1: true, encryption: { keys: [newKey()] }, compression: true } as const;
    const [a, b] = [await open(keyPrefix, options), await open(keyPrefix, options)];
    await a.client.set('shared', profile);
    expect(await b.client.get('shared')).toEqual(profile);
    expect(await b.client.get('shared')).toEqual(profile);
  });
});

describe('encryption on a memcached pool', () => {
  let servers: ServerProcess[];
  beforeAll(async () => {
    servers = await Promise.all([startMemcached(), startMemcached()]);
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
  });

  it('round-trips sealed and compressed values', async () => {
    const app = await startCacheApp(
      patient({
        store: 'memcached',
        memcached: { servers: servers.map((server) => server.address) },
        keyPrefix: freshPrefix(),
        encryption: { keys: [newKey()] },
        compression: true,
      }),
    );
    try {
      await app.client.set('p', profile, '1h');
      expect(await app.client.get('p')).toEqual(profile);
      expect(await app.client.getOrSet('q', () => ({ n: 2 }))).toEqual({ n: 2 });
      expect(await app.client.getMany(['p', 'q', 'none'])).toEqual([profile, { n: 2 }, undefined]);
    } finally {
      await app.close();
    }
  });
});
