import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startRedis } from '../../test/support/servers.js';
import { makeProfile } from '../contenders/payload.js';
import { startOurApp } from '../contenders/ours.js';
import type { BenchContext } from '../harness/context.js';
import { round } from '../harness/stats.js';
import type { ContenderResult, ScenarioResult, TargetResult } from '../harness/types.js';

type Figures = Record<string, number>;

const KEYS = 1_000_000;
/** Keys of each child's warm-up (deleted by it), after the measured ones. */
const WARM_KEYS = 100_000;
const MB = 1024 * 1024;
const MAX_SIZE = 16 * MB;
const CONFIGS = [
  {
    name: '@Cacheable (redis, l1: { maxEntries: 10,000 })',
    l1: { maxEntries: 10_000 },
    fill: 10_000,
    /** The bound in memory: what a full L1 holds on the heap, measured. */
    boundMb: (figures: Figures) => figures.fullMb,
    bound: 'the heap a full L1 holds',
  },
  {
    name: '@Cacheable (redis, l1: { maxSize: 16 MiB })',
    l1: { maxEntries: KEYS, maxSize: MAX_SIZE },
    fill: 100_000,
    boundMb: () => MAX_SIZE / MB,
    bound: 'l1.maxSize',
  },
];

/** Writes every id the child reads into `url`'s Redis, as our Redis cache writes them. */
async function fillRedis(url: string): Promise<void> {
  const filler = await startOurApp({ store: 'redis', redis: { url } });
  try {
    for (let from = 0; from < KEYS + CONFIGS.length * WARM_KEYS; from += 1000) {
      const entries = Array.from({ length: 1000 }, (_, i) => ({
        key: `profile:${from + i}`,
        value: makeProfile(from + i),
        ttl: 600,
      }));
      if (!(await filler.client.setMany(entries))) throw new Error('could not fill Redis');
    }
  } finally {
    await filler.close();
  }
}

async function runChild(url: string, l1: object, fill: number, warmFrom: number) {
  const script = fileURLToPath(new URL('../l1-memory-bound.child.ts', import.meta.url));
  const register = fileURLToPath(new URL('../register.mjs', import.meta.url));
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      ...['--expose-gc', '--import', register, script, url, JSON.stringify(l1)],
      ...[fill, KEYS, warmFrom, WARM_KEYS].map(String),
    ],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Figures;
}

function result(name: string, figures: Figures, boundMb: number): ContenderResult {
  const metrics = Object.fromEntries(
    Object.entries(figures).map(([field, value]) => [field, round(value, 3)]),
  );
  return {
    name,
    kind: 'ours',
    opsPerSec: figures.opsPerSec,
    p50Ms: round(1000 / figures.opsPerSec),
    p99Ms: round(1000 / figures.opsPerSec),
    ratio: round(figures.rssGrowthMb / boundMb, 3),
    metrics: { ...metrics, boundMb: round(boundMb, 3) },
  };
}

/**
 * `l1-memory-bound`: 1,000,000 distinct keys read through a bounded L1 (every one a hit in Redis,
 * filled beforehand on a Redis server of the scenario's own), each configuration in a fresh
 * process; RSS growth against the bound.
 */
export async function l1MemoryBound(_context: BenchContext): Promise<ScenarioResult> {
  const redis = await startRedis();
  const contenders: ContenderResult[] = [];
  const targets: TargetResult[] = [];
  try {
    await fillRedis(redis.url);
    for (const [i, config] of CONFIGS.entries()) {
      const figures = await runChild(redis.url, config.l1, config.fill, KEYS + i * WARM_KEYS);
      const boundMb = config.boundMb(figures);
      contenders.push(result(config.name, figures, boundMb));
      targets.push({
        text: `${config.name}: RSS growth (${round(figures.rssGrowthMb, 3)} MB) < 2× ${config.bound} (${round(boundMb, 3)} MB)`,
        met: figures.rssGrowthMb < 2 * boundMb && figures.misses === 0,
        value: round(figures.rssGrowthMb / boundMb, 3),
      });
    }
  } finally {
    await redis.stop();
  }
  return {
    id: 'l1-memory-bound',
    title: '1,000,000 distinct keys read through a bounded L1 in front of Redis',
    baseline: 'its bound',
    method:
      'Redis filled first with 1,200,000 ~200-byte entries; each configuration in a fresh process with --expose-gc, 100 reads in flight through @Cacheable, every read an L1 miss and a Redis hit. A warm-up on 100,000 keys of their own, then those left in L1 deleted; fullMb: heap held once L1 reached its bound (10,000 keys; 100,000 for maxSize); rssGrowthMb: RSS after 1,000,000 keys minus RSS with L1 empty; ratio: RSS growth ÷ the bound (boundMb); latency columns are 1/throughput.',
    contenders,
    targets,
  };
}
