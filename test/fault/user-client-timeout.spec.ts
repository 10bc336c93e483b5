import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis } from 'ioredis';
import memjs from 'memjs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheTimeoutError } from '../../lib/index.js';
import { MemcachedStore } from '../../lib/stores/memcached.store.js';
import { RedisStore } from '../../lib/stores/redis.store.js';
import { freshPrefix, startCacheApp, type CacheApp } from '../support/cache-app.js';
import { startRedisCluster, type RedisClusterHarness } from '../support/redis-cluster.js';
import { startMemcached, startRedis, type ServerProcess } from '../support/servers.js';

const COMMAND_TIMEOUT = 200;
/** The promise is `commandTimeout` (1.25× for a watched connection); a loaded machine gets 5×. */
const BOUND = COMMAND_TIMEOUT * 5;
const silent = { log: () => undefined };

/** Milliseconds `run` took, and what it answered. */
async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await run();
  return { ms: performance.now() - started, value };
}

/** What `call` rejects with, and after how long. */
async function failure(call: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const { ms, value } = await timed(() =>
    call().then(
      () => undefined,
      (error: unknown) => error,
    ),
  );
  return { ms, error: value };
}

/** Runs `during` while `server` is paused (SIGSTOP), resuming it whatever happens. */
async function whilePaused<T>(server: ServerProcess, during: () => Promise<T>): Promise<T> {
  await server.pause();
  try {
    return await during();
  } finally {
    server.resume();
  }
}

describe('a Redis client handed in (redis.client) is held to commandTimeout', () => {
  let server: ServerProcess;
  let client: Redis;
  let app: CacheApp;

  beforeAll(async () => {
    server = await startRedis();
    client = new Redis(server.port, '127.0.0.1'); // ioredis defaults: no commandTimeout
    app = await startCacheApp({
      store: 'redis',
      redis: { client },
      keyPrefix: freshPrefix(),
      commandTimeout: COMMAND_TIMEOUT,
    });
  });
  afterAll(async () => {
    await app?.close();
    await client?.quit().catch(() => client.disconnect());
    await server?.stop();
  });

  it('answers a miss and false within about commandTimeout while its server is paused, and serves again after', async () => {
    await app.client.set('k', 'v');
    const [read, write] = await whilePaused(server, () =>
      Promise.all([timed(() => app.client.get('k')), timed(() => app.client.set('k2', 'w'))]),
    );
    expect(read.value).toBeUndefined();
    expect(write.value).toBe(false);
    expect(Math.max(read.ms, write.ms)).toBeLessThan(BOUND);
    expect(await client.ping()).toBe('PONG'); // never closed, still the user's
    expect(await app.client.get('k')).toBe('v');
  });

  it("never gives up on the owner's own commands on that client (a BLPOP longer than commandTimeout)", async () => {
    const popped = timed(() => client.blpop(`${freshPrefix()}empty`, 1));
    // Queued behind the BLPOP on the same connection: a miss after commandTimeout.
    const read = await timed(() => app.client.get('k'));
    expect(read.value).toBeUndefined();
    const { ms, value } = await popped;
    expect(value).toBeNull(); // BLPOP's own answer after 1 s, not a rejection
    expect(ms).toBeGreaterThan(900);
  });

  it("turns the client's own ioredis commandTimeout into a CacheTimeoutError (ioredis 5.11.1 has only a message)", async () => {
    const hasty = new Redis(server.port, '127.0.0.1', { commandTimeout: 100 });
    const store = new RedisStore({
      keyPrefix: freshPrefix(),
      commandTimeout: 10_000,
      connection: { client: hasty },
    });
    try {
      await store.set('k', 'v');
      const { ms, error } = await whilePaused(server, () => failure(() => store.get('k')));
      expect(error).toBeInstanceOf(CacheTimeoutError);
      expect((error as Error).cause).toMatchObject({ message: 'Command timed out' });
      expect(ms).toBeLessThan(10_000 / 2);
    } finally {
      await store.close();
      hasty.disconnect();
    }
  });
});

describe('a Redis Cluster client handed in is held to commandTimeout', () => {
  let cluster: RedisClusterHarness;
  let client: Cluster;
  let app: CacheApp;
  const keyPrefix = freshPrefix();

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0 });
    client = new Cluster(cluster.nodes); // ioredis defaults: offline queue, no commandTimeout
    app = await startCacheApp({
      store: 'redis',
      redis: { client },
      keyPrefix,
      commandTimeout: COMMAND_TIMEOUT,
    });
  });
  afterAll(async () => {
    await app?.close();
    client?.disconnect();
    await cluster?.stop();
  });

  it('answers a miss and false within about commandTimeout while the master of the key is paused', async () => {
    await app.client.set('k', 'v');
    expect(await app.client.get('k')).toBe('v');
    const master = await cluster.masterOf(calculateSlot(`${keyPrefix}|k`));
    // Paused for well under cluster-node-timeout (2 s): the node is slow, not failed.
    const [read, write] = await whilePaused(master.server, () =>
      Promise.all([timed(() => app.client.get('k')), timed(() => app.client.set('k', 'w'))]),
    );
    expect(read.value).toBeUndefined();
    expect(write.value).toBe(false);
    expect(Math.max(read.ms, write.ms)).toBeLessThan(BOUND);
  });
});

describe('a memjs client handed in (memcached.client) is held to commandTimeout', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startMemcached();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers misses within about commandTimeout under steady traffic to a paused server, although its own timeout is longer', async () => {
    const client = memjs.Client.create(server.address, { timeout: 10, logger: silent });
    const app = await startCacheApp({
      store: 'memcached',
      memcached: { client },
      keyPrefix: freshPrefix(),
      commandTimeout: COMMAND_TIMEOUT,
    });
    try {
      await app.client.set('k', 'v');
      const reads = await whilePaused(server, async () => {
        const pending: Promise<{ ms: number; value: unknown }>[] = [];
        for (let i = 0; i < 10; i++) {
          pending.push(timed(() => app.client.get('k')));
          await sleep(COMMAND_TIMEOUT / 3);
        }
        return Promise.all(pending);
      });
      expect(reads.map(({ value }) => value)).toEqual(reads.map(() => undefined));
      expect(Math.max(...reads.map(({ ms }) => ms))).toBeLessThan(BOUND);
    } finally {
      await app.close();
      client.close();
    }
  });

  it("turns the memjs client's own timeouts into a CacheTimeoutError (memjs 1.3.2 has only a message)", async () => {
    const hasty = memjs.Client.create(server.address, { timeout: 0.1, logger: silent });
    const store = new MemcachedStore({
      keyPrefix: freshPrefix(),
      commandTimeout: 10_000,
      connection: { client: hasty },
    });
    try {
      await store.set('k', 'v');
      const { ms, error } = await whilePaused(server, () => failure(() => store.get('k')));
      expect(error).toBeInstanceOf(CacheTimeoutError);
      expect((error as Error).cause).toMatchObject({
        message: 'socket timed out waiting on response.',
      });
      expect(ms).toBeLessThan(10_000 / 2);
    } finally {
      hasty.close();
    }
  });

  it("turns the memjs client's own connect timeout into a CacheTimeoutError", async () => {
    const hasty = memjs.Client.create(server.address, {
      username: 'user',
      password: 'secret', // the handshake the paused server never answers
      conntimeout: 0.1,
      logger: silent,
    });
    const store = new MemcachedStore({
      keyPrefix: freshPrefix(),
      commandTimeout: 10_000,
      connection: { client: hasty },
    });
    try {
      const { error } = await whilePaused(server, () => failure(() => store.get('k')));
      expect(error).toBeInstanceOf(CacheTimeoutError);
      expect((error as Error).cause).toMatchObject({
        message: 'socket timed out connecting to server.',
      });
    } finally {
      hasty.close();
    }
  });
});
