import { Injectable } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cacheable, CacheEvict, type CacheModuleOptions } from '../../lib/index.js';
import { freshPrefix, startCacheApp, type CacheApp } from '../support/cache-app.js';
import { memcachedConnections } from '../support/memcached-stats.js';
import { inspectRedis, redisConnections } from '../support/redis-cli.js';
import { freePort, startMemcached, startRedis, type ServerProcess } from '../support/servers.js';
import { eventually } from '../support/store-contract.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

@Injectable()
class QuoteService {
  calls = 0;

  @Cacheable({ key: (id: number) => `quote:${id}`, ttl: 60 })
  async quote(id: number): Promise<{ id: number; price: number }> {
    this.calls++;
    return { id, price: id * 10 };
  }

  @CacheEvict({ key: (id: number) => `quote:${id}` })
  async reprice(id: number): Promise<number> {
    return id;
  }
}

const COMMAND_TIMEOUT = 200;
/** What a call on a hung server promises: about commandTimeout (a Redis read, 1.25×), plus a busy machine's scheduling. */
const HUNG_CALL_BOUND = COMMAND_TIMEOUT * 1.25 + 400;

interface Backend {
  name: string;
  start(port?: number): Promise<ServerProcess>;
  options(server: { address: string; port: number }, poolSize?: number): CacheModuleOptions;
  connections(server: ServerProcess): Promise<number>;
  closeInspector(): Promise<void>;
}

const inspectors = new Map<number, ReturnType<typeof inspectRedis>>();
const backends: Backend[] = [
  {
    name: 'redis',
    start: (port) => startRedis([], port),
    options: ({ port }, poolSize) => ({
      store: 'redis',
      redis: { url: `redis://127.0.0.1:${port}`, poolSize },
    }),
    connections: (server) => {
      const inspector = inspectors.get(server.port) ?? inspectRedis(server.port);
      inspectors.set(server.port, inspector);
      return redisConnections(inspector);
    },
    closeInspector: async () => {
      await Promise.all([...inspectors.values()].map((i) => i.quit()));
      inspectors.clear();
    },
  },
  {
    name: 'memcached',
    start: (port) => startMemcached([], port),
    options: ({ address }, poolSize) => ({
      store: 'memcached',
      memcached: { servers: [address], poolSize },
    }),
    connections: (server) => memcachedConnections(server.port),
    closeInspector: async () => undefined,
  },
];

describe.each(backends)('fail-open on $name', (backend) => {
  let server: ServerProcess;
  let app: CacheApp;
  let quotes: QuoteService;
  /** The server's connection count once two readings 100 ms apart agree. */
  const settledConnections = async () => {
    let last = await backend.connections(server);
    for (let reading = 0; reading < 30; reading++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const now = await backend.connections(server);
      if (now === last) return now;
      last = now;
    }
    return last;
  };
  const open = async (target: { address: string; port: number } = server, poolSize?: number) => {
    app = await startCacheApp(
      {
        ...backend.options(target, poolSize),
        keyPrefix: freshPrefix(),
        commandTimeout: COMMAND_TIMEOUT,
      },
      [QuoteService],
    );
    quotes = app.get(QuoteService);
    return app;
  };
  const servedFromCache = async (id: number) => {
    const before = quotes.calls;
    await quotes.quote(id);
    await quotes.quote(id);
    return quotes.calls - before <= 1 && (await app.client.has(`quote:${id}`));
  };

  beforeAll(async () => {
    server = await backend.start();
  });
  afterEach(async () => {
    server.resume();
    await app?.close();
  });
  afterAll(async () => {
    await backend.closeInspector();
    await server?.stop();
  });

  it('returns the method result while the server is killed, and resumes caching after a restart', async () => {
    await open();
    await quotes.quote(1);
    await server.kill();
    const results = await Promise.all([1, 2, 3, 1].map((id) => quotes.quote(id)));
    expect(results.map((r) => r.price)).toEqual([10, 20, 30, 10]);
    expect(await quotes.reprice(1)).toBe(1);
    expect(app.client.stats().errors).toBeGreaterThan(0);
    await server.restart();
    await eventually(() => servedFromCache(5), 10_000);
  });

  it('returns the method result while the server is paused (SIGSTOP), and resumes after SIGCONT', async () => {
    await open();
    await server.pause();
    const results = await Promise.all([7, 8, 7].map((id) => quotes.quote(id)));
    expect(results.map((r) => r.price)).toEqual([70, 80, 70]);
    expect(await app.client.set('while-paused', 1)).toBe(false);
    expect(await app.client.get('while-paused')).toBeUndefined();
    server.resume();
    await eventually(() => servedFromCache(9), 10_000);
  });

  it('starts while the server is unreachable, serves method results, and caches once it appears', async () => {
    const port = await freePort();
    await open({ address: `127.0.0.1:${port}`, port });
    expect((await quotes.quote(4)).price).toBe(40);
    expect((await quotes.quote(4)).price).toBe(40);
    expect(quotes.calls).toBe(2);
    const late = await backend.start(port);
    try {
      await eventually(() => servedFromCache(4), 10_000);
    } finally {
      await app.close();
      await late.stop();
    }
  });

  it.each([undefined, 3])(
    'serves 500 concurrent decorated calls over poolSize (%s, default 1) connections, keeps them, and closes them on app.close()',
    async (poolSize) => {
      // A count taken while an earlier test's connections are still closing would be too high.
      const before = await settledConnections();
      // Settled: the server may still count the connection an earlier count asked on.
      const opened = async (expected: number) =>
        eventually(async () => (await backend.connections(server)) - before === expected, 2000);
      await open(server, poolSize);
      const burst = (round: number) =>
        Promise.all(Array.from({ length: 500 }, (_, i) => quotes.quote(round * 50 + (i % 50))));
      await burst(0);
      await opened(poolSize ?? 1);
      for (let round = 1; round <= 3; round++) await burst(round);
      await opened(poolSize ?? 1);
      await app.close();
      await opened(0);
    },
  );

  it('with poolSize 2, calls on a paused server return within about commandTimeout, and every connection serves again after SIGCONT', async () => {
    const proxy = await startTcpProxy(server.port);
    try {
      await open({ address: `127.0.0.1:${proxy.port}`, port: proxy.port }, 2);
      await eventually(() => servedFromCache(20), 5000);
      await server.pause();
      const timed = async <T>(call: () => Promise<T>) => {
        const started = performance.now();
        const value = await call();
        return { value, ms: performance.now() - started };
      };
      const reads = await Promise.all(
        [21, 22, 23, 24].map((id) => timed(() => app.client.get(`quote:${id}`))),
      );
      expect(reads.map(({ value }) => value)).toEqual([undefined, undefined, undefined, undefined]);
      expect(Math.max(...reads.map(({ ms }) => ms))).toBeLessThan(HUNG_CALL_BOUND);
      const results = await Promise.all([21, 22].map((id) => quotes.quote(id)));
      expect(results.map((r) => r.price)).toEqual([210, 220]);
      server.resume();
      await eventually(() => servedFromCache(25), 10_000);
      proxy.takeSenders();
      for (let id = 30; id < 40; id++) expect((await quotes.quote(id)).price).toBe(id * 10);
      expect(proxy.takeSenders()).toBe(2);
    } finally {
      server.resume();
      await app.close();
      await proxy.stop();
    }
  });
});
