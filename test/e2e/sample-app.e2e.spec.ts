import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_CONFIG, loadAppConfig, type AppEnv } from '../../sample-app/app-config.js';
import { AppModule } from '../../sample-app/app.module.js';
import { DatabaseService } from '../../sample-app/database/database.service.js';
import type { Product } from '../../sample-app/products/product.entity.js';
import type { CacheStats } from 'nestjs-distributed-cache';
import { patient } from '../support/cache-app.js';
import { memcachedStat } from '../support/memcached-stats.js';
import { inspectRedis } from '../support/redis-cli.js';
import { startMemcached, startRedis, type ServerProcess } from '../support/servers.js';

/**
 * The real AppModule, configured from `env` as `main.ts` would be from the process environment
 * (with the patient `commandTimeout`: these specs are not about timeouts).
 */
async function startApp(env: AppEnv): Promise<INestApplication> {
  const config = loadAppConfig({ DB_LATENCY_MS: '20', ...env });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(APP_CONFIG)
    .useValue({ ...config, cache: patient(config.cache) })
    .compile();
  const app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
  await app.init();
  return app;
}

function http(app: INestApplication) {
  return request(app.getHttpServer());
}

/** Database queries this instance has made so far. */
function dbQueries(app: INestApplication): number {
  return app.get(DatabaseService).queryCount;
}

function names(products: Product[]): string[] {
  return products.map((product) => product.name);
}

describe('sample app on the memory store', () => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await startApp({});
  });

  afterAll(async () => {
    await app?.close();
  });

  it('serves the second GET /products/:id from the cache, querying the database once', async () => {
    const before = dbQueries(app);
    const first = await http(app).get('/products/1').expect(200);
    const second = await http(app).get('/products/1').expect(200);
    expect(first.headers['x-cache']).toBe('MISS');
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.headers['x-db-queries']).toBe('0');
    expect(second.body).toEqual(first.body);
    expect(second.body).toMatchObject({ id: 1, name: 'Espresso beans, 1 kg' });
    expect(dbQueries(app) - before).toBe(1);
  });

  it('returns the fresh product on the GET after a PUT', async () => {
    await http(app).get('/products/2').expect(200);
    await http(app).get('/products/2').expect(200).expect('X-Cache', 'HIT');
    const updated = await http(app).put('/products/2').send({ price: 12.34 }).expect(200);
    expect(updated.body).toMatchObject({ id: 2, price: 12.34 });
    const read = await http(app).get('/products/2').expect(200);
    expect(read.headers['x-cache']).toBe('MISS');
    expect(read.body).toEqual(updated.body);
  });

  it('lists a product created by POST on the next GET /products', async () => {
    await http(app).get('/products').expect(200);
    await http(app).get('/products').expect(200).expect('X-Cache', 'HIT');
    const created = await http(app)
      .post('/products')
      .send({ name: 'Memory-store mug', price: 14, stock: 3 })
      .expect(201);
    const list = await http(app).get('/products').expect(200);
    expect(list.headers['x-cache']).toBe('MISS');
    expect(list.body).toContainEqual(created.body);
  });

  it('counts the hit and the miss of a product read in GET /cache/stats', async () => {
    const before = (await http(app).get('/cache/stats').expect(200)).body;
    await http(app).get('/products/5').expect(200).expect('X-Cache', 'MISS');
    await http(app).get('/products/5').expect(200).expect('X-Cache', 'HIT');
    const after = (await http(app).get('/cache/stats').expect(200)).body;
    expect(after.store).toBe('memory');
    expect(after.hits).toBeGreaterThan(before.hits);
    expect(after.misses).toBeGreaterThan(before.misses);
    expect(after.hitRate).toBeGreaterThan(0);
  });

  it('reports per-method stats in GET /cache/stats and Prometheus metrics in GET /metrics', async () => {
    await http(app).get('/products/6').expect(200);
    await http(app).get('/products/6').expect(200);
    const stats = (await http(app).get('/cache/stats').expect(200)).body;
    expect(stats.methods['ProductsService.findOne']).toMatchObject({
      hits: expect.any(Number),
      misses: expect.any(Number),
      loads: expect.any(Number),
    });
    expect(stats.methods['ProductsService.findOne'].hits).toBeGreaterThan(0);
    const metrics = await http(app)
      .get('/metrics')
      .expect(200)
      .expect('Content-Type', /text\/plain/);
    expect(metrics.text).toMatch(
      /cache_requests_total\{cache="default",store="memory",operation="getOrSet",result="hit",tier="l2"\} [1-9]/,
    );
    expect(metrics.text).toContain('cache_operation_duration_seconds_bucket');
  });

  it('answers 404 for a missing product, and does not cache the 404', async () => {
    const before = dbQueries(app);
    await http(app).get('/products/9999').expect(404);
    await http(app).get('/products/9999').expect(404);
    expect(dbQueries(app) - before).toBe(2);
  });

  it('answers GET /health (readiness) with the cache up and its node, and GET /health/live', async () => {
    const ready = await http(app).get('/health').expect(200);
    expect(ready.body.details.cache).toEqual({
      status: 'up',
      nodes: [{ address: 'memory', ok: true, latencyMs: expect.any(Number) }],
    });
    await http(app)
      .get('/health/live')
      .expect(200, { status: 'ok', info: {}, error: {}, details: {} });
  });

  it('answers 400 for an invalid body, naming the field', async () => {
    const created = await http(app).post('/products').send({ name: '', price: -1 }).expect(400);
    expect(created.body.message).toEqual(
      expect.arrayContaining([expect.stringMatching(/^name: /), expect.stringMatching(/^stock: /)]),
    );
    await http(app).put('/products/3').send({ colour: 'red' }).expect(400);
  });

  it('caches the GET /price-list response with CacheInterceptor until a PUT evicts it', async () => {
    const before = dbQueries(app);
    const first = await http(app).get('/price-list').expect(200).expect('X-Cache', 'MISS');
    const second = await http(app).get('/price-list').expect(200).expect('X-Cache', 'HIT');
    expect(second.body).toEqual(first.body);
    expect(dbQueries(app) - before).toBe(1);
    await http(app).put('/products/4').send({ price: 7.25 }).expect(200);
    const fresh = await http(app).get('/price-list').expect(200).expect('X-Cache', 'MISS');
    expect(fresh.body).toContainEqual(expect.objectContaining({ id: 4, price: 7.25 }));
  });
});

interface SharedBackend {
  name: string;
  store: string;
  /** Starts the servers; returns CACHE_URL and the servers to stop. */
  start(): Promise<{ url: string; servers: ServerProcess[] }>;
}

const backends: SharedBackend[] = [
  {
    name: 'one Redis server',
    store: 'redis',
    async start() {
      const redis = await startRedis();
      return { url: redis.url, servers: [redis] };
    },
  },
  {
    name: 'a pool of two Memcached servers',
    store: 'memcached',
    async start() {
      const servers = [await startMemcached(), await startMemcached()];
      return { url: `memcached://${servers.map((s) => s.address).join(',')}`, servers };
    },
  },
];

describe.each(backends)('two sample app instances sharing $name', ({ store, start }) => {
  let servers: ServerProcess[] = [];
  let dir: string;
  let a: INestApplication;
  let b: INestApplication;

  beforeAll(async () => {
    const started = await start();
    servers = started.servers;
    // One SQLite file for both, as two app servers would share one database.
    dir = mkdtempSync(join(tmpdir(), 'ndc-sample-'));
    const env = { CACHE_URL: started.url, DB_PATH: join(dir, 'catalogue.db') };
    a = await startApp(env);
    b = await startApp(env);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await Promise.all(servers.map((server) => server.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`both use the ${store} store`, async () => {
    await http(a).get('/cache/stats').expect(200).expect(hasStore(store));
    await http(b).get('/cache/stats').expect(200).expect(hasStore(store));
  });

  it('lists every server of the shared cache in GET /health', async () => {
    const ready = await http(a).get('/health').expect(200);
    const addresses = ready.body.details.cache.nodes.map(
      (node: { address: string }) => node.address,
    );
    expect(addresses.sort()).toEqual(servers.map((server) => server.address).sort());
  });

  it('serves through B a product A loaded, without querying B’s database', async () => {
    const bBefore = dbQueries(b);
    const throughA = await http(a).get('/products/7').expect(200).expect('X-Cache', 'MISS');
    const throughB = await http(b).get('/products/7').expect(200).expect('X-Cache', 'HIT');
    expect(throughB.body).toEqual(throughA.body);
    expect(dbQueries(b)).toBe(bBefore);
  });

  it('returns through B the value A updated', async () => {
    await http(a).get('/products/8').expect(200);
    await http(b).get('/products/8').expect(200).expect('X-Cache', 'HIT');
    await http(a).put('/products/8').send({ name: 'French press, 1.5 l', stock: 4 }).expect(200);
    const throughB = await http(b).get('/products/8').expect(200);
    expect(throughB.body).toEqual({ id: 8, name: 'French press, 1.5 l', price: 32, stock: 4 });
  });

  it('shows through A a product B created: the list tag is invalidated for both', async () => {
    await http(a).get('/products').expect(200);
    const cached = await http(b).get('/products').expect(200).expect('X-Cache', 'HIT');
    const name = `Shared ${store} grinder`;
    expect(names(cached.body)).not.toContain(name);
    const created = await http(b).post('/products').send({ name, price: 99, stock: 1 }).expect(201);
    const throughA = await http(a).get('/products').expect(200);
    expect(throughA.body).toContainEqual(created.body);
  });

  it('shows through A a product update made through B in the cached list', async () => {
    await http(a).get('/products').expect(200);
    await http(b).put('/products/9').send({ price: 18.5 }).expect(200);
    const throughA = await http(a).get('/products').expect(200);
    expect(throughA.body).toContainEqual({
      id: 9,
      name: 'Milk frothing jug',
      price: 18.5,
      stock: 30,
    });
  });
});

function hasStore(store: string) {
  return (response: request.Response) => {
    expect(response.body.store).toBe(store);
  };
}

interface TieredBackend {
  name: string;
  /** Starts the servers; returns the sample's environment and how to count the store's reads. */
  start(): Promise<{ env: AppEnv; servers: ServerProcess[]; reads: ReadCounter }>;
}

/** Reads the shared store has served so far. */
type ReadCounter = () => Promise<number>;

const tieredBackends: TieredBackend[] = [
  {
    name: 'one Redis server, which is also the bus',
    async start() {
      const redis = await startRedis();
      return {
        env: { CACHE_URL: redis.url, CACHE_L1: '1' },
        servers: [redis],
        reads: redisReads(redis.port),
      };
    },
  },
  {
    name: 'a Memcached server, with a Redis bus',
    async start() {
      const memcached = await startMemcached();
      const bus = await startRedis();
      return {
        env: {
          CACHE_URL: `memcached://${memcached.address}`,
          CACHE_L1: '1',
          CACHE_BUS_URL: bus.url,
        },
        servers: [memcached, bus],
        reads: () => memcachedStat(memcached.port, 'cmd_get'),
      };
    },
  },
];

/** GET and MGET calls Redis has served (`INFO commandstats`). */
function redisReads(port: number): ReadCounter {
  return async () => {
    const inspector = inspectRedis(port);
    try {
      const info = await inspector.info('commandstats');
      const calls = (command: string) =>
        Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
      return calls('get') + calls('mget');
    } finally {
      inspector.disconnect();
    }
  };
}

/**
 * How long B may still answer from its L1 after A's update has returned. A's eviction awaits the
 * PUBLISH, but Redis writes the reply to A and the message to B's subscriber in one pass of its
 * event loop, in no promised order: on this 2-core machine A's response and B's next GET
 * overtook the message in 8 of 1,000 updates with Memcached and its bus Redis (the most
 * processes) and 1 of 1,000 on Redis alone, and B answered the new value within 20 ms. 100 ms is
 * far above that and far below `l1.ttl` (10 s), the only bound there would be without the bus.
 */
const DELIVERY_BOUND_MS = 100;

/** GETs `path` through `app` until the body equals `expected` or `withinMs` has passed. */
async function readUntil(
  app: INestApplication,
  path: string,
  expected: unknown,
  withinMs: number,
): Promise<request.Response> {
  const deadline = performance.now() + withinMs;
  for (;;) {
    const response = await http(app).get(path).expect(200);
    if (isDeepStrictEqual(response.body, expected) || performance.now() >= deadline) {
      return response;
    }
  }
}

/** Messages `app`'s bus has received, once there are `count`, or after `withinMs`. */
async function busReceived(
  app: INestApplication,
  count: number,
  withinMs: number,
): Promise<number> {
  const deadline = performance.now() + withinMs;
  for (;;) {
    const { received } = (await cacheStats(app)).bus!;
    if (received >= count || performance.now() >= deadline) return received;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

async function cacheStats(app: INestApplication): Promise<CacheStats> {
  return (await http(app).get('/cache/stats').expect(200)).body;
}

describe.each(tieredBackends)('two sample app instances with CACHE_L1=1 on $name', ({ start }) => {
  let servers: ServerProcess[] = [];
  let reads: ReadCounter;
  let dir: string;
  let a: INestApplication;
  let b: INestApplication;

  beforeAll(async () => {
    const started = await start();
    servers = started.servers;
    reads = started.reads;
    dir = mkdtempSync(join(tmpdir(), 'ndc-sample-l1-'));
    const env = { ...started.env, DB_PATH: join(dir, 'catalogue.db') };
    a = await startApp(env);
    b = await startApp(env);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await Promise.all(servers.map((server) => server.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('both report a trusted L1 and a subscribed bus in GET /cache/stats', async () => {
    for (const app of [a, b]) {
      const stats = await cacheStats(app);
      expect(stats.l1).toMatchObject({ trusted: true });
      expect(stats.bus).toMatchObject({ up: true });
    }
  });

  it('counts a read B answers from the shared store as l2Hits, the next one as l1Hits', async () => {
    const heard = (await cacheStats(b)).bus!.received;
    await http(a).get('/products/3').expect(200).expect('X-Cache', 'MISS');
    // A announces its fill without awaiting it; a read B began before that message arrives is
    // not kept in its L1 (the fill is refused), so let the message reach B first.
    expect(await busReceived(b, heard + 1, DELIVERY_BOUND_MS)).toBe(heard + 1);
    const before = await cacheStats(b);
    await http(b).get('/products/3').expect(200).expect('X-Cache', 'HIT');
    const afterFirst = await cacheStats(b);
    await http(b).get('/products/3').expect(200).expect('X-Cache', 'HIT');
    const afterSecond = await cacheStats(b);
    expect(afterFirst.l2Hits - before.l2Hits).toBe(1);
    expect(afterFirst.l1Hits - before.l1Hits).toBe(0);
    expect(afterSecond.l1Hits - afterFirst.l1Hits).toBe(1);
    expect(afterSecond.l2Hits - afterFirst.l2Hits).toBe(0);
  });

  it('returns through B, within 100 ms of A’s PUT returning, the value A wrote, not B’s L1 copy', async () => {
    const old = await http(b).get('/products/1').expect(200);
    const l1HitsBefore = (await cacheStats(b)).l1Hits;
    await http(b).get('/products/1').expect(200).expect('X-Cache', 'HIT');
    expect((await cacheStats(b)).l1Hits - l1HitsBefore).toBe(1);
    const updated = await http(a).put('/products/1').send({ price: 26.5 }).expect(200);
    const throughB = await readUntil(b, '/products/1', updated.body, DELIVERY_BOUND_MS);
    expect(throughB.body).toEqual(updated.body);
    expect(throughB.headers['x-cache']).toBe('MISS');
    expect(throughB.body).not.toEqual(old.body);
    expect(throughB.body).toMatchObject({ id: 1, price: 26.5 });
  });

  it('answers 20 repeated GETs through B from its L1: no read reaches the shared store', async () => {
    const filled = await http(b).get('/products/4').expect(200);
    const readsBefore = await reads();
    const statsBefore = await cacheStats(b);
    const queriesBefore = dbQueries(b);
    for (let i = 0; i < 20; i++) {
      const hit = await http(b).get('/products/4').expect(200).expect('X-Cache', 'HIT');
      expect(hit.body).toEqual(filled.body);
    }
    const statsAfter = await cacheStats(b);
    expect((await reads()) - readsBefore).toBe(0);
    expect(statsAfter.l1Hits - statsBefore.l1Hits).toBe(20);
    expect(statsAfter.l2Hits - statsBefore.l2Hits).toBe(0);
    expect(dbQueries(b)).toBe(queriesBefore);
  });
});
