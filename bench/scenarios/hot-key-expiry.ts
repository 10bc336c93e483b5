import { setTimeout as sleep } from 'node:timers/promises';
import {
  HotKeyService,
  LOADER_MS,
  startResilientApp,
  type LoadSpan,
  type ResilientApp,
} from '../contenders/resilient-services.js';
import type { BenchContext } from '../harness/context.js';
import { collectGarbage, LatencyLog } from '../harness/latency-log.js';
import { median, round } from '../harness/stats.js';
import type { ContenderResult, ScenarioResult, TargetResult } from '../harness/types.js';

const IN_FLIGHT = 100;
/**
 * A caller in flight when a load started by a miss ended, and for this long or more, waited for
 * it: every caller held up by an expired entry joined its load within a millisecond or two of its
 * start, so it waits for most of the loader's 50 ms.
 */
const WAITED_MS = 20;
/** Rounds, and each configuration's time in a round: full run, then `--quick`. */
const ROUNDS = { full: 7, quick: 3 };

type Method = 'plain' | 'ahead' | 'xfetch' | 'none';
type Tested = Exclude<Method, 'plain'>;

interface Configuration {
  method: Tested;
  name: string;
  /** Its time in each round, ms: full run, then `--quick` (1.15 s: past one expiry). */
  ms: { full: number; quick: number };
}

const PLAIN = '@Cacheable (redis, ttl 300 s): plain hit';
const CONFIGURATIONS: Configuration[] = [
  {
    method: 'ahead',
    name: '@Cacheable (redis, ttl 1 s, refreshAhead: 0.8)',
    ms: { full: 2860, quick: 1200 },
  },
  {
    method: 'xfetch',
    name: '@Cacheable (redis, ttl 1 s, refreshAhead: true)',
    ms: { full: 2860, quick: 1200 },
  },
  {
    method: 'none',
    name: '@Cacheable (redis, ttl 1 s), no refreshAhead',
    ms: { full: 1150, quick: 1150 },
  },
];

interface Segment {
  calls: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  waited: number;
  loads: number;
  missLoads: number;
  refreshes: number;
}

/** One configuration's segment and the plain hit's, measured side by side. */
interface Pair {
  tested: Segment;
  plain: Segment;
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** A call that took `WAITED_MS` or more: when it started and ended. */
interface SlowCall {
  start: number;
  end: number;
}

/** `IN_FLIGHT` callers in a loop on one method until `deadline`: every latency, the slow calls. */
async function hammer(call: () => Promise<unknown>, deadline: number) {
  const latencies = new LatencyLog();
  const slow: SlowCall[] = [];
  const worker = async () => {
    while (performance.now() < deadline) {
      const start = performance.now();
      await call();
      const end = performance.now();
      latencies.add(end - start);
      if (end - start >= WAITED_MS) slow.push({ start, end });
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return { latencies, slow, seconds: (performance.now() - began) / 1000 };
}

function percentiles(latencies: LatencyLog) {
  const [p50Ms, p99Ms, maxMs] = latencies.percentiles(50, 99, 100);
  return { p50Ms, p99Ms, maxMs };
}

/** Slow calls in flight when a load started by a miss ended. */
function waitedForLoads(slow: readonly SlowCall[], spans: readonly LoadSpan[]): number {
  const onMiss = spans.filter((load) => load.onMiss);
  return slow.filter((call) => onMiss.some((load) => call.start < load.end && load.end <= call.end))
    .length;
}

/** What one method's callers saw, and the loads of that method meanwhile. */
class SegmentRecorder {
  private readonly spansBefore: number;

  constructor(
    private readonly service: HotKeyService,
    private readonly method: Method,
  ) {
    this.spansBefore = service.spans[method].length;
  }

  segment(
    run: Awaited<ReturnType<typeof hammer>>,
    counts: Pick<Segment, 'missLoads' | 'refreshes'>,
  ) {
    const spans = this.service.spans[this.method].slice(this.spansBefore);
    return {
      calls: run.latencies.length,
      seconds: run.seconds,
      ...percentiles(run.latencies),
      waited: waitedForLoads(run.slow, spans),
      loads: spans.length,
      ...counts,
    };
  }
}

/**
 * `IN_FLIGHT` callers on `method`'s hot key and as many on the plain hit's, at the same time, so
 * that both see the same disturbances of the machine. Only `method` misses or refreshes, so the
 * client's counts are its own.
 */
async function measurePair(
  app: ResilientApp<HotKeyService>,
  method: Tested,
  ms: number,
): Promise<Pair> {
  const { service, client } = app;
  await Promise.all([service[method](), service.plain()]); // the first fill, or a hit
  const tested = new SegmentRecorder(service, method);
  const plain = new SegmentRecorder(service, 'plain');
  collectGarbage();
  const before = client.stats();
  const deadline = performance.now() + ms;
  const [testedRun, plainRun] = await Promise.all([
    hammer(() => service[method](), deadline),
    hammer(() => service.plain(), deadline),
  ]);
  await sleep(2 * LOADER_MS); // a refresh started near the end is counted with its span
  const after = client.stats();
  const counts = {
    missLoads: after.misses - before.misses,
    refreshes: after.refreshes - before.refreshes,
  };
  return {
    tested: tested.segment(testedRun, counts),
    plain: plain.segment(plainRun, { missLoads: 0, refreshes: 0 }),
  };
}

/** `ratios`: per round, this p99 ÷ the plain hit's beside it; none for the plain hit itself. */
function summarize(name: string, segments: Segment[], ratios?: number[]) {
  const sum = (field: 'calls' | 'waited' | 'loads' | 'missLoads' | 'refreshes') =>
    segments.reduce((total, segment) => total + segment[field], 0);
  const seconds = segments.reduce((total, segment) => total + segment.seconds, 0);
  return {
    name,
    kind: 'ours',
    opsPerSec: Math.round(sum('calls') / seconds),
    p50Ms: round(median(segments.map((segment) => segment.p50Ms))),
    p99Ms: round(median(segments.map((segment) => segment.p99Ms))),
    ratio: ratios ? round(median(ratios), 3) : 1,
    metrics: {
      seconds: round(seconds, 3),
      maxMs: round(Math.max(...segments.map((segment) => segment.maxMs))),
      ...(ratios && { ratioByRound: ratios.map((ratio) => round(ratio, 3)).join(' ') }),
      waitedForLoader: sum('waited'),
      loads: sum('loads'),
      loadsPerSecond: round(sum('loads') / seconds, 3),
      loadsOnMiss: sum('missLoads'),
      refreshes: sum('refreshes'),
    },
  } satisfies ContenderResult;
}

function targetsOf(contenders: ReturnType<typeof summarize>[]): TargetResult[] {
  return contenders
    .filter((contender) => contender.name.includes('refreshAhead:'))
    .flatMap((contender) => [
      {
        text: `${contender.name}: p99 ≤ 2× the plain hit's p99 (p99 ${contender.p99Ms} ms)`,
        met: contender.ratio <= 2,
        value: contender.ratio,
      },
      {
        text: `${contender.name}: no caller waited for the loader after the first fill`,
        met: contender.metrics.waitedForLoader === 0,
        value: contender.metrics.waitedForLoader,
      },
    ]);
}

/**
 * `hot-key-expiry`: 100 callers in flight on one hot key through `@Cacheable` on Redis, 50 ms
 * loader, 1 s TTL with and without `refreshAhead`, each beside a plain hit (a 300 s TTL) with 100
 * callers of its own; a configuration's p99 is divided by the plain hit's measured beside it.
 */
export async function hotKeyExpiry(context: BenchContext): Promise<ScenarioResult> {
  const app = context.own(
    await startResilientApp(
      { ...context.redisOptions(), keyPrefix: `hot:${process.pid}:` },
      HotKeyService,
    ),
  );
  const mode = context.settings.quick ? 'quick' : 'full';
  const rounds = ROUNDS[mode];
  const pairs = new Map<Tested, Pair[]>(CONFIGURATIONS.map(({ method }) => [method, []]));
  for (const { method } of CONFIGURATIONS) await measurePair(app, method, 200); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const { method, ms } of rotate(CONFIGURATIONS, r)) {
      pairs.get(method)?.push(await measurePair(app, method, ms[mode]));
    }
  }
  const all = [...pairs.values()].flat();
  const contenders = [
    summarize(
      PLAIN,
      all.map((pair) => pair.plain),
    ),
    ...CONFIGURATIONS.map(({ method, name }) => {
      const mine = pairs.get(method) ?? [];
      const ratios = mine.map((pair) => pair.tested.p99Ms / pair.plain.p99Ms);
      return summarize(
        name,
        mine.map((pair) => pair.tested),
        ratios,
      );
    }),
  ];
  return {
    id: 'hot-key-expiry',
    title: `Hot key expiring under load: ${IN_FLIGHT} callers in flight, 1 s TTL, ${LOADER_MS} ms loader`,
    baseline: `${PLAIN} beside it (p99 ÷ its p99)`,
    method: [
      `${IN_FLIGHT} callers in a loop on one key through a decorated method on Redis, and at the same time ${IN_FLIGHT} more on a plain hit's key (300 s TTL), in one process; ${rounds} rounds, each running the configurations in turn (${CONFIGURATIONS.map((c) => `${c.ms[mode] / 1000} s`).join(', ')}), the order rotated each round; each pair after one unmeasured call (the first fill).`,
      "p50/p99: medians over the rounds (the plain hit's over all its pairs); ratio: median per round of this p99 ÷ the p99 of the plain hit measured beside it (ratioByRound: each round's); maxMs: the slowest call of all rounds.",
      `waitedForLoader: calls in flight when a load started by a miss ended that had been waiting ${WAITED_MS} ms or more; loadsOnMiss: loads a miss started (stats misses); refreshes: background refreshes (stats refreshes).`,
    ].join(' '),
    contenders,
    targets: targetsOf(contenders),
  };
}
