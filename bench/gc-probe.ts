import 'reflect-metadata';
import { PerformanceObserver } from 'node:perf_hooks';
import { startMemcached, startRedis } from '../test/support/servers.js';
import { startOurApp } from './contenders/ours.js';
import { KEY_COUNT, makeProfile } from './contenders/payload.js';
import { cacheManager, keyvRedis } from './contenders/peers.js';
import { rawMemjs, rawRedis } from './contenders/raw-clients.js';
import { percentile } from './harness/stats.js';

/**
 * What the young-generation collector costs each contender of a hit at 100 in flight (the p99
 * there is mostly a call that waited for a scavenge): `npm run bench:gc -- redis` (or
 * `memcached`; `--seconds=2 --rounds=3`, `--bytes=10000` for the Redis value size). Prints, per contender and round, ops/s, p50/p99/p999,
 * scavenges per 100k calls, the mean scavenge pause and how much the heap grew over the round
 * (what young collections promoted, until a full one). `node --trace-gc-nvp` shows each one.
 */
const CONCURRENCY = 100;

function flag(name: string, fallback: number): number {
  const found = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  return found ? Number(found.split('=')[1]) : fallback;
}

interface Scavenges {
  count: number;
  pauseMs: number;
}

const scavenges: Scavenges = { count: 0, pauseMs: 0 };
const MINOR_GC = 1; // perf_hooks constants.NODE_PERFORMANCE_GC_MINOR
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if ((entry as { detail?: { kind?: number } }).detail?.kind !== MINOR_GC) continue;
    scavenges.count++;
    scavenges.pauseMs += entry.duration;
  }
}).observe({ entryTypes: ['gc'] });

type Call = (i: number) => Promise<unknown>;

async function measure(name: string, call: Call, ms: number): Promise<void> {
  const latencies: number[] = [];
  const before = { ...scavenges };
  const heapBefore = process.memoryUsage().heapUsed;
  let next = 0;
  const begin = performance.now();
  const deadline = begin + ms;
  const worker = async () => {
    let started = performance.now();
    while (started < deadline) {
      await call(next++);
      const after = performance.now();
      latencies.push(after - started);
      started = after;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsed = performance.now() - begin;
  const count = scavenges.count - before.count;
  const fixed = (value: number, digits = 3) => value.toFixed(digits);
  console.log(
    [
      name.padEnd(22),
      `ops/s ${Math.round((next / elapsed) * 1000)}`,
      `p50 ${fixed(percentile(latencies, 50))}`,
      `p99 ${fixed(percentile(latencies, 99))}`,
      `p999 ${fixed(percentile(latencies, 99.9))}`,
      `scavenges/100k ${fixed((count / next) * 1e5, 1)}`,
      `pause ${fixed((scavenges.pauseMs - before.pauseMs) / count, 2)} ms`,
      `heap +${fixed((process.memoryUsage().heapUsed - heapBefore) / 1e6, 1)} MB`,
    ].join('  '),
  );
  (globalThis as { gc?: () => void }).gc?.();
}

async function contenders(store: string) {
  if (store === 'memcached') {
    const server = await startMemcached();
    const ours = await startOurApp({ store, memcached: { servers: [server.address] } });
    const memjs = rawMemjs(server.address);
    for (let id = 0; id < KEY_COUNT; id++) {
      await ours.service.findBlob(id, 200);
      await memjs.set(`raw:${id}`, JSON.stringify(makeProfile(id, 200)), { expires: 300 });
    }
    const calls: [string, Call][] = [
      ['@Cacheable (memcached)', (i) => ours.service.findBlob(i % KEY_COUNT, 200)],
      [
        'memjs get + JSON.parse',
        (i) => memjs.get(`raw:${i % KEY_COUNT}`).then(({ value }) => JSON.parse(String(value))),
      ],
    ];
    return { calls, close: () => Promise.all([ours.close(), memjs.close(), server.stop()]) };
  }
  const bytes = flag('bytes', 200);
  const server = await startRedis();
  const ours = await startOurApp({ store: 'redis', redis: { url: server.url } });
  const peer = cacheManager(keyvRedis(server.url));
  const raw = rawRedis(server.url, false);
  for (let id = 0; id < KEY_COUNT; id++) {
    await ours.service.findBlob(id, bytes);
    await peer.getOrSet(`profile:${id}`, async () => makeProfile(id, bytes));
    await raw.set(`raw:${id}`, JSON.stringify(makeProfile(id, bytes)));
  }
  const calls: [string, Call][] = [
    ['@Cacheable (redis)', (i) => ours.service.findBlob(i % KEY_COUNT, bytes)],
    ['cache-manager get', (i) => peer.get(`profile:${i % KEY_COUNT}`)],
    [
      'ioredis GET + parse',
      (i) => raw.get(`raw:${i % KEY_COUNT}`).then((text) => JSON.parse(text ?? '')),
    ],
  ];
  const close = () => Promise.all([ours.close(), peer.close(), raw.quit(), server.stop()]);
  return { calls, close };
}

async function main(): Promise<void> {
  const store = process.argv[2] ?? 'redis';
  const { calls, close } = await contenders(store);
  const rounds = flag('rounds', 3);
  for (let round = 0; round < rounds; round++) {
    for (const [name, call] of calls) await measure(name, call, flag('seconds', 2) * 1000);
  }
  await close();
}

void main();
