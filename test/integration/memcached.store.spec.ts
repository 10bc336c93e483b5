import memjs from 'memjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CacheAuthError,
  CacheConnectTimeoutError,
  CacheTimeoutError,
  CacheValueTooLargeError,
} from '../../lib/index.js';
import type { MemcachedConnectionOptions } from '../../lib/interfaces/cache-module-options.interface.js';
import { resolveMemcached } from '../../lib/options/validate-memcached.js';
import { validateOptions } from '../../lib/options/validate-options.js';
import { MemcachedStore } from '../../lib/stores/memcached.store.js';
import { toMemcachedExpiry } from '../../lib/stores/memcached/expiry.js';
import {
  HASHED_KEY_MARKER,
  MAX_KEY_BYTES,
  hashKey,
  physicalKey,
} from '../../lib/stores/memcached/key-mapper.js';
import { memcachedItems } from '../support/memcached-stats.js';
import { freePort, startMemcached, type ServerProcess } from '../support/servers.js';
import { describeStoreContract, eventually } from '../support/store-contract.js';

/** A plain text-protocol connection that looks at a test server from the outside. */
class Inspector {
  private buffer = '';
  private waiting?: { until: string; resolve: (text: string) => void };

  private constructor(
    private readonly socket: Socket,
    private readonly port: number,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      if (!this.waiting || !this.buffer.endsWith(this.waiting.until)) return;
      const { resolve } = this.waiting;
      const text = this.buffer;
      this.waiting = undefined;
      this.buffer = '';
      resolve(text);
    });
  }

  static open(port: number): Promise<Inspector> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () =>
        resolve(new Inspector(socket, port)),
      );
      socket.once('error', reject);
    });
  }

  /** One command at a time: sends `line`, answers everything up to `until`. */
  send(line: string, until = 'END\r\n'): Promise<string> {
    return new Promise((resolve) => {
      this.waiting = { until, resolve };
      this.socket.write(`${line}\r\n`);
    });
  }

  async stat(name: string): Promise<number> {
    const match = (await this.send('stats')).match(new RegExp(`^STAT ${name} (\\d+)\\r$`, 'm'));
    return Number(match?.[1]);
  }

  /** Every item on the server, keys decoded. */
  items(): Promise<{ key: string; exp: number }[]> {
    return memcachedItems(this.port);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.end(resolve));
  }
}

let prefixes = 0;
const uniquePrefix = () => `mc${process.pid}-${++prefixes}:`;
const silent = { log: () => undefined };
const openSockets = () =>
  process.getActiveResourcesInfo().filter((resource) => resource === 'TCPSocketWrap').length;

describeStoreContract('memcached (one server)', async () => {
  const server = await startMemcached();
  return {
    create: (keyPrefix) =>
      new MemcachedStore({
        keyPrefix,
        commandTimeout: 1000,
        connection: { servers: [server] },
      }),
    teardown: () => server.stop(),
  };
});

describeStoreContract('memcached (two-server pool)', async () => {
  const servers = await Promise.all([startMemcached(), startMemcached()]);
  return {
    create: (keyPrefix) =>
      new MemcachedStore({ keyPrefix, commandTimeout: 1000, connection: { servers } }),
    teardown: async () => void (await Promise.all(servers.map((server) => server.stop()))),
  };
});

describeStoreContract('memcached (two-server pool, poolSize 3)', async () => {
  const servers = await Promise.all([startMemcached(), startMemcached()]);
  return {
    create: (keyPrefix) =>
      new MemcachedStore({
        keyPrefix,
        commandTimeout: 1000,
        connection: { servers, poolSize: 3 },
      }),
    teardown: async () => void (await Promise.all(servers.map((server) => server.stop()))),
  };
});

describe('MemcachedStore', () => {
  let server: ServerProcess;
  let inspector: Inspector;
  const opened: MemcachedStore[] = [];
  const extraServers: ServerProcess[] = [];

  const open = (
    connection: MemcachedConnectionOptions = {},
    { keyPrefix = uniquePrefix(), commandTimeout = 1000 } = {},
  ) => {
    const store = new MemcachedStore({
      keyPrefix,
      commandTimeout,
      connection: resolveMemcached({ servers: [server.address], ...connection }, keyPrefix),
    });
    opened.push(store);
    return store;
  };
  const startServer = async (args: string[] = []) => {
    const started = await startMemcached(args);
    extraServers.push(started);
    return started;
  };

  beforeAll(async () => {
    server = await startMemcached();
    inspector = await Inspector.open(server.port);
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
    await Promise.all(extraServers.splice(0).map((extra) => extra.stop()));
  });
  afterAll(async () => {
    await inspector?.close();
    await server?.stop();
  });

  describe('keys', () => {
    it('round-trips a 300-byte key and a key with a space, apart from each other and from keys equal to their hashed form', async () => {
      const keyPrefix = uniquePrefix();
      const store = open({}, { keyPrefix });
      const long = 'k'.repeat(300);
      const spaced = 'user 42';
      const lookalikes = [long, spaced].map((key) => HASHED_KEY_MARKER + hashKey(key));
      const keys = [long, spaced, ...lookalikes];
      await store.setMany(keys.map((key, i) => ({ key, value: `v${i}` })));

      expect(await store.getMany(keys)).toEqual(['v0', 'v1', 'v2', 'v3']);
      const stored = (await inspector.items())
        .map(({ key }) => key)
        .filter((key) => key.startsWith(keyPrefix) && key !== `${keyPrefix}__ns__`);
      expect(new Set(stored).size).toBe(4);
      for (const key of stored) {
        expect(Buffer.byteLength(key)).toBeLessThanOrEqual(MAX_KEY_BYTES);
        expect(key).not.toMatch(/\s/);
      }
    });

    it('maps a key deterministically, hashing only what memcached cannot hold', () => {
      expect(physicalKey('p:', 'ns', 'user:1')).toBe('p:ns:user:1');
      expect(physicalKey('p:', 'ns', 'a b')).toBe(physicalKey('p:', 'ns', 'a b'));
      expect(physicalKey('p:', 'ns', 'a b')).toBe(`p:ns:#${hashKey('a b')}`);
      expect(physicalKey('p:', 'ns', '#x')).toBe(`p:ns:#${hashKey('#x')}`);
      expect(physicalKey('p:', 'ns', 'tab\t')).toMatch(/^p:ns:#/);
      expect(physicalKey('p:', 'ns', 'ключ:ü')).toBe('p:ns:ключ:ü');
      expect(physicalKey('p:', 'ns', '\ud800')).not.toBe(physicalKey('p:', 'ns', '\ufffd'));
    });

    it('keeps a key as is up to exactly 250 bytes in all, whatever the prefix is made of', () => {
      for (const prefix of ['p:', 'ключ:']) {
        const head = `${prefix}ns:`;
        const room = MAX_KEY_BYTES - Buffer.byteLength(head);
        for (const key of ['k'.repeat(room - 40), 'k'.repeat(room)]) {
          expect(physicalKey(prefix, 'ns', key)).toBe(head + key);
        }
        const over = 'k'.repeat(room + 1);
        expect(physicalKey(prefix, 'ns', over)).toBe(`${head}#${hashKey(over)}`);
      }
    });

    it('refuses at startup a keyPrefix or servers memcached cannot use, naming the option', () => {
      const servers = [server.address];
      const create = (keyPrefix: string, memcached: MemcachedConnectionOptions) =>
        validateOptions({ store: 'memcached', keyPrefix, memcached });
      expect(() => create('has space:', { servers })).toThrow(/"keyPrefix"/);
      expect(() => create('p'.repeat(200), { servers })).toThrow(/"keyPrefix"/);
      expect(() => create('p:', { servers: [] })).toThrow(/"memcached.servers"/);
      expect(() => create('p:', { servers: ['host:port'] })).toThrow(/"memcached.servers\[0\]"/);
    });
  });

  describe('values', () => {
    it('refuses a value over maxValueSize with E_CACHE_VALUE_TOO_LARGE before sending it, and stores nothing', async () => {
      const store = open({ maxValueSize: 1024, namespaceRefreshMs: 60_000 });
      await store.set('big', 'old');
      const setsBefore = await inspector.stat('cmd_set');

      await expect(store.set('big', 'x'.repeat(2000))).rejects.toMatchObject({
        code: 'E_CACHE_VALUE_TOO_LARGE',
      });
      await expect(store.setMany([{ key: 'many', value: 'y'.repeat(2000) }])).rejects.toMatchObject(
        { code: 'E_CACHE_VALUE_TOO_LARGE' },
      );

      expect(await inspector.stat('cmd_set')).toBe(setsBefore);
      expect(await store.getMany(['big', 'many'])).toEqual([undefined, undefined]);
    });

    it("surfaces the server's own item-size refusal as E_CACHE_VALUE_TOO_LARGE and keeps serving", async () => {
      const store = open({ maxValueSize: 4 * 1024 * 1024 });
      const refusal = await store.set('huge', 'x'.repeat(1_500_000)).catch((error) => error);
      expect(refusal).toBeInstanceOf(CacheValueTooLargeError);
      expect(refusal).toMatchObject({ code: 'E_CACHE_VALUE_TOO_LARGE', limit: 4 * 1024 * 1024 });
      expect((refusal as Error).message).toMatch(/refused by the memcached server/);
      expect(await store.get('huge')).toBeUndefined();
      await store.set('small', 'ok');
      expect(await store.get('small')).toBe('ok');
    });
  });

  describe('expiry', () => {
    it('stores a readable entry with a TTL over 30 days, expiring that far ahead', async () => {
      const keyPrefix = uniquePrefix();
      const store = open({}, { keyPrefix });
      const days = 40;
      await store.set('month', 'v', days * 86_400_000);

      expect(await store.get('month')).toBe('v');
      const item = (await inspector.items()).find(
        ({ key }) => key.startsWith(keyPrefix) && key.endsWith(':month'),
      );
      expect(item?.exp).toBeGreaterThan(Date.now() / 1000 + (days - 1) * 86_400);
    });

    it('turns a TTL into memcached expiry: whole seconds up plus a clock tick, a Unix time from 30 days, 0 for none', () => {
      const now = 1_800_000_000_000;
      expect(toMemcachedExpiry(300, now)).toBe(2);
      expect(toMemcachedExpiry(1500, now)).toBe(3);
      expect(toMemcachedExpiry(2_591_999_000, now)).toBe(2_592_000);
      expect(toMemcachedExpiry(2_592_000_000, now)).toBe(1_800_000_000 + 2_592_000);
      expect(toMemcachedExpiry(undefined, now)).toBe(0);
      expect(toMemcachedExpiry(0, now)).toBe(0);
    });
  });

  describe('clear()', () => {
    it('is seen by another instance on the same prefix after its namespace refresh, leaves other prefixes and foreign keys, and never flushes', async () => {
      const keyPrefix = uniquePrefix();
      const first = open({ namespaceRefreshMs: 100 }, { keyPrefix });
      const second = open({ namespaceRefreshMs: 100 }, { keyPrefix });
      const neighbour = open();
      await inspector.send('set foreign:key 0 0 4\r\nkept', 'STORED\r\n');
      await first.set('k', 'v');
      await neighbour.set('k', 'neighbour');
      expect(await second.get('k')).toBe('v');
      const flushesBefore = await inspector.stat('cmd_flush');

      await first.clear();

      expect(await first.get('k')).toBeUndefined();
      await eventually(async () => (await second.get('k')) === undefined);
      expect(await neighbour.get('k')).toBe('neighbour');
      expect(await inspector.send('get foreign:key')).toContain('kept');
      expect(await inspector.stat('cmd_flush')).toBe(flushesBefore);
    });
  });

  describe('connections', () => {
    it('opens one connection per server, however many calls are in flight', async () => {
      const pool = [await startServer(), await startServer()];
      const inspectors = await Promise.all(pool.map((member) => Inspector.open(member.port)));
      const connections = () => Promise.all(inspectors.map((i) => i.stat('curr_connections')));
      try {
        // Only each inspector's own connection, once the harness's port probe is gone.
        await eventually(async () => (await connections()).every((count) => count === 1));
        const store = open({ servers: pool.map((member) => member.address) });
        await Promise.all(
          Array.from({ length: 200 }, (_, i) =>
            i % 2 ? store.set(`c${i}`, 'v') : store.get(`c${i}`),
          ),
        );
        expect(await connections()).toEqual([2, 2]);
      } finally {
        await Promise.all(inspectors.map((i) => i.close()));
      }
    });

    it('with poolSize 3, opens three connections per server, keeps them across many calls, and closes them', async () => {
      const pool = [await startServer(), await startServer()];
      const inspectors = await Promise.all(pool.map((member) => Inspector.open(member.port)));
      const connections = () => Promise.all(inspectors.map((i) => i.stat('curr_connections')));
      const traffic = (store: MemcachedStore, round: number) =>
        Promise.all(
          Array.from({ length: 300 }, (_, i) =>
            i % 3 ? store.set(`c${round}:${i}`, 'v') : store.get(`c${round}:${i}`),
          ),
        );
      try {
        await eventually(async () => (await connections()).every((count) => count === 1));
        const store = open({ servers: pool.map((member) => member.address), poolSize: 3 });
        await traffic(store, 0);
        expect(await connections()).toEqual([4, 4]); // each inspector, and 3 of the store's
        for (let round = 1; round <= 3; round++) await traffic(store, round);
        expect(await connections()).toEqual([4, 4]);
        await store.close();
        await eventually(async () => (await connections()).every((count) => count === 1));
      } finally {
        await Promise.all(inspectors.map((i) => i.close()));
      }
    });

    it('rejects a get with E_CACHE_TIMEOUT while the server is paused, and serves again once it resumes', async () => {
      const paused = await startServer();
      const store = open({ servers: [paused.address] }, { commandTimeout: 300 });
      await store.set('k', 'v');
      await paused.pause();
      try {
        await expect(store.get('k')).rejects.toBeInstanceOf(CacheTimeoutError);
      } finally {
        paused.resume();
      }
      await eventually(async () => (await store.get('k').catch(() => undefined)) === 'v');
    });

    it('times every request out within about commandTimeout while steady traffic goes to a paused server', async () => {
      const paused = await startServer();
      const commandTimeout = 300;
      const store = open({ servers: [paused.address] }, { commandTimeout });
      await store.set('k', 'v');
      await paused.pause();
      try {
        const waits: Promise<number>[] = [];
        for (let i = 0; i < 20; i++) {
          const sent = performance.now();
          const failed = (error: unknown) => {
            expect(error).toBeInstanceOf(CacheTimeoutError);
            return performance.now() - sent;
          };
          waits.push(store.get('k').then(() => Number.NaN, failed));
          await sleep(commandTimeout / 3); // each write used to postpone memjs's idle timeout
        }
        const longest = Math.max(...(await Promise.all(waits)));
        expect(longest).toBeLessThan(commandTimeout * 3);
      } finally {
        paused.resume();
      }
    });

    it('rejects with a CacheConnectTimeoutError when a connection is accepted but never completed', async () => {
      const paused = await startServer();
      await paused.pause(); // the kernel still accepts the connection; the SASL handshake hangs
      try {
        const store = open(
          { servers: [paused.address], username: 'user', password: 'secret', connectTimeout: 200 },
          { commandTimeout: 1000 },
        );
        const failure = await store.get('k').catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(CacheConnectTimeoutError);
        expect((failure as Error).message).toMatch(/memcached\.connectTimeout/);
      } finally {
        paused.resume();
      }
    });

    it('keeps a single connection after a timeout: the abandoned socket is not left open', async () => {
      const paused = await startServer();
      const watcher = await Inspector.open(paused.port);
      const connections = () => watcher.stat('curr_connections');
      try {
        await eventually(async () => (await connections()) === 1); // the watcher alone
        const store = open({ servers: [paused.address] }, { commandTimeout: 300 });
        await store.set('k', 'v');
        await paused.pause();
        await store.get('k').catch(() => undefined);
        paused.resume();
        await eventually(async () => (await store.get('k').catch(() => undefined)) === 'v');
        for (let i = 0; i < 5; i++) expect(await store.get('k')).toBe('v');
        await eventually(async () => (await connections()) === 2);
      } finally {
        await watcher.close();
      }
    });

    it('serves again by itself after the server is killed and restarted on the same port', async () => {
      const restarted = await startServer();
      const store = open({ servers: [restarted.address] }, { commandTimeout: 300 });
      await store.set('k', 'v');
      await restarted.kill();
      await expect(store.get('k')).rejects.toThrow();

      await restarted.restart();
      await eventually(async () => {
        try {
          await store.set('k', 'back');
          return (await store.get('k')) === 'back';
        } catch {
          return false;
        }
      });
    });

    it('close() leaves no socket open, even while the server is paused', async () => {
      const paused = await startServer();
      await new Promise((resolve) => setTimeout(resolve, 20)); // the harness's port probe closes
      const before = openSockets();
      const store = open({ servers: [paused.address] }, { commandTimeout: 200 });
      await store.set('k', 'v');
      expect(openSockets()).toBe(before + 1);
      await paused.pause();
      try {
        await store.close();
        expect(openSockets()).toBe(before);
      } finally {
        paused.resume();
      }
    });

    it('uses a memjs client handed in as is and never closes it', async () => {
      const client = memjs.Client.create(server.address, { logger: silent });
      try {
        const store = new MemcachedStore({
          keyPrefix: uniquePrefix(),
          commandTimeout: 1000,
          connection: { client },
        });
        await store.set('k', 'v');
        expect(await store.get('k')).toBe('v');
        await store.close();
        await client.set('after-close', 'still open', {});
        expect((await client.get('after-close')).value?.toString()).toBe('still open');
      } finally {
        client.close();
      }
    });

    it('rejects with a CacheAuthError naming the server when it refuses the credentials', async () => {
      const saslConf = mkdtempSync(join(tmpdir(), 'ndc-sasl-'));
      writeFileSync(join(saslConf, 'memcached.conf'), 'mech_list: plain\n');
      const previous = process.env.SASL_CONF_PATH;
      process.env.SASL_CONF_PATH = saslConf; // read by the memcached process the harness spawns
      try {
        const guarded = await startServer(['-S']);
        const store = open(
          { servers: [guarded.address], username: 'nobody', password: 'wrong' },
          { commandTimeout: 500 },
        );
        const failure = await store.get('k').catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(CacheAuthError);
        expect(failure).toMatchObject({ code: 'E_CACHE_AUTH', address: guarded.address });
      } finally {
        if (previous === undefined) delete process.env.SASL_CONF_PATH;
        else process.env.SASL_CONF_PATH = previous;
        rmSync(saslConf, { recursive: true, force: true });
      }
    });

    it('ready() resolves even when no server answers', async () => {
      const store = open({ servers: [`127.0.0.1:${await freePort()}`] });
      await expect(store.ready()).resolves.toBeUndefined();
    });
  });
});
