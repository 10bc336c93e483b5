import 'reflect-metadata';
import { startOurApp } from './contenders/ours.js';
import { printFiguresAndExit } from './harness/child-process.js';
import { makeProfile } from './contenders/payload.js';

/**
 * Run in its own process (`--expose-gc`) so that RSS means something: fills a store with
 * `KEYS` distinct keys and prints one JSON line of memory figures.
 */
const KEYS = 1_000_000;
const BOUND = 10_000;
const MB = 1024 * 1024;

function settle(): NodeJS.MemoryUsage {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) gc?.();
  return process.memoryUsage();
}

async function ours() {
  const app = await startOurApp({ memory: { maxEntries: BOUND } });
  // Warm-up on 1,000 keys: JIT and the young generation at working size, the store nearly empty.
  for (let i = 0; i < 100_000; i++) await app.service.fresh(`warm:${i % 1000}`);
  await app.client.clear();
  const empty = settle();
  for (let i = 0; i < BOUND; i++) await app.service.fresh(`key:${i}`);
  const full = settle();
  const started = performance.now();
  for (let i = BOUND; i < KEYS; i++) await app.service.fresh(`key:${i}`);
  const seconds = (performance.now() - started) / 1000;
  const after = settle();
  await app.client.clear();
  const cleared = settle();
  await app.close();
  return {
    opsPerSec: Math.round((KEYS - BOUND) / seconds),
    storeMb: (full.heapUsed - empty.heapUsed) / MB,
    rssGrowthMb: (after.rss - empty.rss) / MB,
    heapGrowthMb: (after.heapUsed - empty.heapUsed) / MB,
    heapAfterClearMb: (cleared.heapUsed - empty.heapUsed) / MB,
  };
}

async function map() {
  const store = new Map<string, unknown>();
  const empty = settle();
  const started = performance.now();
  for (let i = 0; i < KEYS; i++) store.set(`key:${i}`, makeProfile(i));
  const seconds = (performance.now() - started) / 1000;
  const after = settle();
  const growth = (after.rss - empty.rss) / MB;
  store.clear();
  const cleared = settle();
  return {
    opsPerSec: Math.round(KEYS / seconds),
    storeMb: (after.heapUsed - empty.heapUsed) / MB,
    rssGrowthMb: growth,
    heapGrowthMb: (after.heapUsed - empty.heapUsed) / MB,
    heapAfterClearMb: (cleared.heapUsed - empty.heapUsed) / MB,
  };
}

const subject = process.argv[2] === 'map' ? map : ours;
printFiguresAndExit(subject());
