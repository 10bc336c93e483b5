import 'reflect-metadata';
import { startOurApp } from './contenders/ours.js';
import { KEY_COUNT } from './contenders/payload.js';

/**
 * A hot loop on one of our calls, for `node --cpu-prof`: `npm run bench:profile -- memory` (or
 * `redis`, `memcached`; `--concurrency=100`). Prints ops/s; the profile lands in `.tmp/prof/`.
 */
async function main(): Promise<void> {
  const store = process.argv[2] ?? 'memory';
  const concurrency = Number(
    process.argv.find((arg) => arg.startsWith('--concurrency='))?.split('=')[1] ?? 1,
  );
  const url = process.env.REDIS_URL;
  const servers = process.env.MEMCACHED_SERVERS?.split(',');
  const app = await startOurApp(
    store === 'redis'
      ? { store: 'redis', redis: { url } }
      : store === 'memcached'
        ? { store: 'memcached', memcached: { servers } }
        : {},
  );
  for (let id = 0; id < KEY_COUNT; id++) await app.service.findOne(id);
  let next = 0;
  const deadline = performance.now() + 5000;
  const worker = async () => {
    while (performance.now() < deadline) await app.service.findOne(next++ % KEY_COUNT);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  console.log(`${store}: ${Math.round(next / 5)} ops/s`);
  await app.close();
}

void main();
