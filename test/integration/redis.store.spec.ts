import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheTimeoutError } from '../../lib/index.js';
import type { RedisSettings } from '../../lib/options/resolved-options.js';
import { RedisStore } from '../../lib/stores/redis.store.js';
import { inspectRedis } from '../support/redis-cli.js';
import { freePort, startRedis, type RedisServer } from '../support/servers.js';
import { describeStoreContract, eventually } from '../support/store-contract.js';

const COMMAND_TIMEOUT = 1000;

for (const [name, poolSize] of [
  ['redis (url)', undefined],
  ['redis (poolSize 3)', 3],
] as const) {
  describeStoreContract(name, async () => {
    const server = await startRedis();
    return {
      create: (keyPrefix) =>
        new RedisStore({
          keyPrefix,
          commandTimeout: COMMAND_TIMEOUT,
          connection: { url: server.url, poolSize },
        }),
      teardown: () => server.stop(),
    };
  });
}

describeStoreContract('redis (user-supplied client)', async () => {
  const server = await startRedis();
  const client = new Redis(server.url);
  return {
    create: (keyPrefix) =>
      new RedisStore({ keyPrefix, commandTimeout: COMMAND_TIMEOUT, connection: { client } }),
    teardown: async () => {
      await client.quit();
      await server.stop();
    },
  };
});

/** A server of its own for each block, an inspector connection to it, and the stores it opened. */
function useServer() {
  const ctx = {
    server: undefined as unknown as RedisServer,
    inspector: undefined as unknown as Redis,
    stores: [] as RedisStore[],
    open(keyPrefix: string, connection?: RedisSettings, commandTimeout = COMMAND_TIMEOUT) {
      const store = new RedisStore({
        keyPrefix,
        commandTimeout,
        connection: connection ?? { host: ctx.server.host, port: ctx.server.port },
      });
      ctx.stores.push(store);
      return store;
    },
    /** Connections the server holds, not counting the inspector's own. */
    async clients(): Promise<number> {
      const list = (await ctx.inspector.client('LIST')) as string;
      return list.trim().split('\n').length - 1;
    },
  };
  beforeAll(async () => {
    ctx.server = await startRedis();
    ctx.inspector = inspectRedis(ctx.server.port);
  });
  afterAll(async () => {
    await Promise.all(ctx.stores.map((store) => store.close()));
    await ctx.inspector?.quit().catch(() => ctx.inspector.disconnect());
    await ctx.server?.stop();
  });
  return ctx;
}

describe('RedisStore keys', () => {
  const ctx = useServer();

  it("stores each key as keyPrefix + '|' + key, with its TTL in milliseconds", async () => {
    const store = ctx.open('app:');
    await store.set('user:1', 'one', 60_000);
    await store.set('user:2', 'two');
    expect(await ctx.inspector.get('app:|user:1')).toBe('one');
    const pttl = await ctx.inspector.pttl('app:|user:1');
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(60_000);
    expect(await ctx.inspector.pttl('app:|user:2')).toBe(-1);
  });

  it('clear() removes only its prefix, even with glob characters in it', async () => {
    const prefix = 'glob*?[x]\\:';
    const store = ctx.open(prefix);
    await store.setMany([
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ]);
    // Each of these matches the prefix read as an unescaped glob pattern.
    const foreign = ['globANYZx:|k', 'glob?Qx:|k', 'globx:|k'];
    for (const key of foreign) await ctx.inspector.set(key, 'foreign');
    await store.clear();
    expect(await store.getMany(['a', 'b'])).toEqual([undefined, undefined]);
    expect(await ctx.inspector.exists(`${prefix}|a`, `${prefix}|b`)).toBe(0);
    expect(await ctx.inspector.mget(foreign)).toEqual(['foreign', 'foreign', 'foreign']);
  });

  it('clear() removes 5,000 keys (more than one SCAN page) and leaves a foreign key alone', async () => {
    const store = ctx.open('many:');
    await ctx.inspector.set('many-foreign', 'kept');
    await ctx.inspector.set('other:many:1', 'kept');
    const keys = Array.from({ length: 5000 }, (_, i) => `k${i}`);
    await store.setMany(keys.map((key) => ({ key, value: 'v' })));
    const before = await ctx.inspector.dbsize();
    expect((await store.getMany(keys)).filter((value) => value === 'v')).toHaveLength(5000);
    await store.clear();
    expect(await ctx.inspector.dbsize()).toBe(before - 5000);
    expect((await store.getMany(keys)).every((value) => value === undefined)).toBe(true);
    expect(await ctx.inspector.mget('many-foreign', 'other:many:1')).toEqual(['kept', 'kept']);
  });

  it("clear() on a user's client with its own ioredis keyPrefix removes only this store's keys", async () => {
    const client = new Redis({
      host: ctx.server.host,
      port: ctx.server.port,
      keyPrefix: 'native:',
    });
    try {
      const store = ctx.open('mine:', { client });
      await store.set('a', '1');
      await ctx.inspector.set('native:other:a', 'kept');
      expect(await ctx.inspector.get('native:mine:|a')).toBe('1');
      await store.clear();
      expect(await ctx.inspector.exists('native:mine:|a')).toBe(0);
      expect(await ctx.inspector.get('native:other:a')).toBe('kept');
    } finally {
      await client.quit();
    }
  });

  it('clear() refuses an empty keyPrefix instead of emptying the database', async () => {
    await ctx.inspector.set('survivor', 'kept');
    const store = ctx.open('');
    await expect(store.clear()).rejects.toThrow(/keyPrefix/);
    expect(await ctx.inspector.get('survivor')).toBe('kept');
  });
});

describe('RedisStore connections', () => {
  const ctx = useServer();

  it('opens no connection until it is used', async () => {
    ctx.open('lazy:');
    expect(await ctx.clients()).toBe(0);
  });

  it('opens exactly one connection however many calls are made concurrently', async () => {
    const store = ctx.open('one:');
    const calls = Array.from({ length: 200 }, (_, i) =>
      i % 2 ? store.set(`k${i}`, 'v') : store.get(`k${i}`),
    );
    await Promise.all(calls);
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.getMany([`k${i}`, 'x'])));
    expect(await ctx.clients()).toBe(1);
    await store.close();
  });

  it('close() closes its connection', async () => {
    const store = ctx.open('closing:');
    await store.set('k', 'v');
    expect(await ctx.clients()).toBe(1);
    await store.close();
    await eventually(async () => (await ctx.clients()) === 0);
    expect(await ctx.clients()).toBe(0);
  });

  it('close() does not close a user-supplied client', async () => {
    const client = new Redis(ctx.server.url);
    try {
      const store = ctx.open('user:', { client });
      await store.set('k', 'v');
      await store.close();
      expect(client.status).toBe('ready');
      expect(await client.get('user:|k')).toBe('v');
    } finally {
      await client.quit();
    }
  });

  it('ready() resolves, without rejecting, when nothing listens on the port', async () => {
    const store = ctx.open('nobody:', { host: '127.0.0.1', port: await freePort() });
    await expect(store.ready()).resolves.toBeUndefined();
    await expect(store.get('k')).rejects.toThrow();
  });
});

describe('RedisStore when the server fails', () => {
  const ctx = useServer();

  /** A store (commandTimeout 300 ms) holding `k` = `v`; `run` is called while its server is paused. */
  async function whilePaused(prefix: string, run: (store: RedisStore) => Promise<void>) {
    const store = ctx.open(prefix, undefined, 300);
    await store.ready();
    await store.set('k', 'v');
    await ctx.server.pause();
    try {
      await run(store);
    } finally {
      ctx.server.resume();
    }
    return store;
  }

  it('rejects a get on a paused server after commandTimeout, then serves again on resume', async () => {
    const store = await whilePaused('paused:', async (paused) => {
      await expect(paused.get('k')).rejects.toBeInstanceOf(CacheTimeoutError);
    });
    expect(await store.get('k')).toBe('v');
  });

  it('rejects every kind of command on a paused server after commandTimeout', async () => {
    const store = await whilePaused('paused-all:', async (paused) => {
      const calls = [
        paused.set('k', 'w', 60_000),
        paused.getMany(['k', 'other']),
        paused.setMany([{ key: 'a', value: '1', ttlMs: 60_000 }]),
        paused.delete('k'),
        paused.deleteMany(['a', 'b']),
        paused.clear(),
      ];
      const results = await Promise.allSettled(calls);
      expect(results.map((result) => result.status)).toEqual(calls.map(() => 'rejected'));
      for (const result of results) {
        expect((result as PromiseRejectedResult).reason).toBeInstanceOf(CacheTimeoutError);
      }
    });
    await store.set('k', 'after');
    expect(await store.get('k')).toBe('after');
  });

  it('rejects at once rather than queueing while the server is down, and serves again after a restart', async () => {
    const store = ctx.open('killed:', undefined, 300);
    await store.ready();
    await store.set('k', 'v');
    await ctx.server.kill();
    const refused = (error: unknown) => /enableOfflineQueue/.test(String(error));
    await eventually(() => store.get('k').then(() => false, refused));
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => store.get('k')));
    expect(results.every((result) => result.status === 'rejected' && refused(result.reason))).toBe(
      true,
    );
    await ctx.server.restart();
    await eventually(async () => {
      const served = await store.set('k', 'again').then(
        () => true,
        () => false,
      );
      return served && (await store.get('k')) === 'again';
    });
    expect(await store.get('k')).toBe('again');
  });
});
