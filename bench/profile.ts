import 'reflect-metadata';
import type { CacheModuleOptions } from '../lib/index.js';
import { startMemcached, startRedis } from '../test/support/servers.js';
import { startOurApp } from './contenders/ours.js';
import { KEY_COUNT, makeProfile } from './contenders/payload.js';
import { rawRedis } from './contenders/raw-clients.js';

/**
 * A hot loop of `@Cacheable` hits, for `node --cpu-prof`: `npm run bench:profile -- memory`
 * (or `redis`, `redis-l1`, `memcached`, or `raw-redis` for ioredis GET + JSON.parse alone; `--concurrency=100`, `--bytes=10000`). It starts its own server,
 * prints ops/s and the client's stats; the profile lands in `.tmp/prof/`.
 */
const SECONDS = 5;

function flag(name: string, fallback: number): number {
  const found = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  return found ? Number(found.split('=')[1]) : fallback;
}

async function backend(store: string) {
  if (store === 'redis' || store === 'redis-l1') {
    const server = await startRedis();
    const options: CacheModuleOptions = {
      store: 'redis',
      redis: { url: server.url },
      ...(store === 'redis-l1' ? { l1: true } : {}),
    };
    return { options, stop: () => server.stop() };
  }
  if (store === 'memcached') {
    const server = await startMemcached();
    const options: CacheModuleOptions = {
      store: 'memcached',
      memcached: { servers: [server.address] },
    };
    return { options, stop: () => server.stop() };
  }
  return { options: {}, stop: async () => undefined };
}

/** The same loop over a plain ioredis connection: the floor the Redis profile is read against. */
async function rawLoop(concurrency: number, bytes: number): Promise<number> {
  const server = await startRedis();
  const redis = rawRedis(server.url, false);
  for (let id = 0; id < KEY_COUNT; id++) {
    await redis.set(`raw:${id}`, JSON.stringify(makeProfile(id, bytes)));
  }
  const ops = await hotLoop(concurrency, async (i) =>
    JSON.parse((await redis.get(`raw:${i}`)) ?? ''),
  );
  redis.disconnect();
  await server.stop();
  return ops;
}

async function hotLoop(concurrency: number, call: (id: number) => Promise<unknown>) {
  let next = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const worker = async () => {
    while (performance.now() < deadline) await call(next++ % KEY_COUNT);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return Math.round(next / SECONDS);
}

async function main(): Promise<void> {
  const store = process.argv[2] ?? 'memory';
  const concurrency = flag('concurrency', 1);
  const bytes = flag('bytes', 200);
  if (store === 'raw-redis') {
    const ops = await rawLoop(concurrency, bytes);
    return console.log(`${store}, ${concurrency} in flight: ${ops} ops/s`);
  }
  const { options, stop } = await backend(store);
  const app = await startOurApp(options);
  for (let id = 0; id < KEY_COUNT; id++) await app.service.findBlob(id, bytes);
  const ops = await hotLoop(concurrency, (id) => app.service.findBlob(id, bytes));
  console.log(`${store}, ${concurrency} in flight: ${ops} ops/s`);
  console.log(app.client.stats());
  await app.close();
  await stop();
}

void main();
