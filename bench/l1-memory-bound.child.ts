import 'reflect-metadata';
import { startOurApp, type OurApp } from './contenders/ours.js';
import { printFiguresAndExit } from './harness/child-process.js';

/**
 * Run in its own process (`--expose-gc`) so that RSS means something: reads `KEYS` distinct keys,
 * all in Redis already, through `@Cacheable` on a Redis cache with a bounded L1, and prints one
 * JSON line of memory figures. The scenario filled Redis with ids 0 … KEYS + WARM_KEYS − 1.
 *   argv: <redis url> <l1 options as JSON> <keys that fill L1 to its bound> <KEYS> <first warm-up
 *         id> <WARM_KEYS>
 */
const IN_FLIGHT = 100;
const MB = 1024 * 1024;

const [url, l1Json, ...counts] = process.argv.slice(2);
const [FILL, KEYS, WARM_FROM, WARM_KEYS] = counts.map(Number);

function settle(): NodeJS.MemoryUsage {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) gc?.();
  return process.memoryUsage();
}

/** Reads ids `from` … `to` − 1 through the decorated method, `IN_FLIGHT` at a time. */
async function readRange(app: OurApp, from: number, to: number): Promise<void> {
  let next = from;
  const worker = async () => {
    while (next < to) await app.service.findOne(next++);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

async function main() {
  const app = await startOurApp({ store: 'redis', redis: { url }, l1: JSON.parse(l1Json) });
  // Warm-up on keys of their own (JIT, the young generation at working size, L1 filled and
  // evicting), then those still in L1 deleted: L1 empty, the measured keys untouched.
  await readRange(app, WARM_FROM, WARM_FROM + WARM_KEYS);
  const warm = Array.from({ length: WARM_KEYS }, (_, i) => `profile:${WARM_FROM + i}`);
  for (let i = 0; i < warm.length; i += 1000) await app.client.deleteMany(warm.slice(i, i + 1000));
  const loadsBefore = app.service.loads;
  const before = app.client.stats();
  const empty = settle();
  const emptyEntries = app.client.stats().l1?.entries;
  await readRange(app, 0, FILL);
  const full = settle();
  const started = performance.now();
  await readRange(app, FILL, KEYS);
  const seconds = (performance.now() - started) / 1000;
  const after = settle();
  const { l1, l1Hits, l2Hits, misses } = app.client.stats();
  await app.close();
  return {
    opsPerSec: Math.round((KEYS - FILL) / seconds),
    emptyEntries,
    fullMb: (full.heapUsed - empty.heapUsed) / MB,
    rssGrowthMb: (after.rss - empty.rss) / MB,
    heapGrowthMb: (after.heapUsed - empty.heapUsed) / MB,
    l1Entries: l1?.entries ?? 0,
    l1Mb: (l1?.bytes ?? 0) / MB,
    l1Evictions: l1?.evictions ?? 0,
    l1Hits: l1Hits - before.l1Hits,
    l2Hits: l2Hits - before.l2Hits,
    misses: misses - before.misses,
    loads: app.service.loads - loadsBefore,
  };
}

printFiguresAndExit(main());
