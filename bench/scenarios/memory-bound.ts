import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BenchContext } from '../harness/context.js';
import { round } from '../harness/stats.js';
import type { ContenderResult, ScenarioResult } from '../harness/types.js';

interface MemoryFigures {
  opsPerSec: number;
  storeMb: number;
  rssGrowthMb: number;
  heapGrowthMb: number;
  heapAfterClearMb: number;
}

const OURS = '@Cacheable (memory store, maxEntries 10,000)';
const MAP = 'Map (unbounded)';

async function runChild(subject: 'ours' | 'map'): Promise<MemoryFigures> {
  const script = fileURLToPath(new URL('../memory-bound.child.ts', import.meta.url));
  const register = fileURLToPath(new URL('../register.mjs', import.meta.url));
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--expose-gc', '--import', register, script, subject],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as MemoryFigures;
}

function result(name: string, kind: 'ours' | 'floor', figures: MemoryFigures, map: MemoryFigures) {
  const metrics = Object.fromEntries(
    Object.entries(figures).map(([field, value]) => [field, round(value, 3)]),
  );
  return {
    name,
    kind,
    opsPerSec: figures.opsPerSec,
    p50Ms: round(1000 / figures.opsPerSec),
    p99Ms: round(1000 / figures.opsPerSec),
    ratio: round(figures.rssGrowthMb / map.rssGrowthMb, 3),
    metrics,
  } satisfies ContenderResult;
}

/** Scenario 7: 1,000,000 distinct keys through a memory store bounded at 10,000 entries. */
export async function memoryBound(_context: BenchContext): Promise<ScenarioResult> {
  const ours = await runChild('ours');
  const map = await runChild('map');
  const bound = 2 * ours.storeMb;
  return {
    id: 'memory-bound',
    title: '1,000,000 distinct keys through a memory store bounded at 10,000 entries',
    baseline: MAP,
    method:
      'Each in a fresh process with --expose-gc. storeMb: heap used by 10,000 entries; rssGrowthMb: RSS after 1,000,000 keys minus RSS with the store empty; ratio: RSS growth ÷ the Map’s; latency columns are 1/throughput.',
    contenders: [result(OURS, 'ours', ours, map), result(MAP, 'floor', map, map)],
    targets: [
      {
        text: `RSS growth (${round(ours.rssGrowthMb, 3)} MB) < 2× the bounded store's own size (${round(bound, 3)} MB)`,
        met: ours.rssGrowthMb < bound,
        value: round(ours.rssGrowthMb / ours.storeMb, 3),
      },
      {
        text: `No leak: heap after clear() within 1 MB of the empty store (${round(ours.heapAfterClearMb, 3)} MB)`,
        met: ours.heapAfterClearMb < 1,
        value: round(ours.heapAfterClearMb, 3),
      },
    ],
  };
}
