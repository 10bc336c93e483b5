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

interface Configuration {
  method: Method;
  name: string;
  /** Its time in each round, ms: full run, then `--quick` (1.15 s: past one expiry). */
  ms: { full: number; quick: number };
}

const PLAIN = '@Cacheable (redis, ttl 300 s): plain hit';
const CONFIGURATIONS: Configuration[] = [
  { method: 'plain', name: PLAIN, ms: { full: 1000, quick: 500 } },
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

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** A call that took `WAITED_MS` or more: when it started and ended. */
interface SlowCall {
  start: number;
  end: number;
}

/** `IN_FLIGHT` callers in a loop on one method for `ms`: every latency, and the slow calls. */
async function hammer(call: () => Promise<unknown>, ms: number) {
  const latencies = new LatencyLog();
  const slow: SlowCall[] = [];
  const deadline = performance.now() + ms;
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

async function measureSegment(
  app: ResilientApp<HotKeyService>,
  method: Method,
  ms: number,
): Promise<Segment> {
  const { service, client } = app;
  await service[method](); // the first fill (or the hit of an entry filled earlier)
  const spans = service.spans[method];
  const spansBefore = spans.length;
  collectGarbage();
  const before = client.stats();
  const { latencies, slow, seconds } = await hammer(() => service[method](), ms);
  await sleep(2 * LOADER_MS); // a refresh started near the end is counted with its span
  const after = client.stats();
  return {
    calls: latencies.length,
    seconds,
    ...percentiles(latencies),
    waited: waitedForLoads(slow, spans.slice(spansBefore)),
    loads: spans.length - spansBefore,
    missLoads: after.misses - before.misses,
    refreshes: after.refreshes - before.refreshes,
  };
}

function summarize(configuration: Configuration, segments: Segment[], plain: Segment[]) {
  const sum = (field: 'calls' | 'waited' | 'loads' | 'missLoads' | 'refreshes') =>
    segments.reduce((total, segment) => total + segment[field], 0);
  const seconds = segments.reduce((total, segment) => total + segment.seconds, 0);
  const p99s = segments.map((segment) => segment.p99Ms);
  return {
    name: configuration.name,
    kind: 'ours',
    opsPerSec: Math.round(sum('calls') / seconds),
    p50Ms: round(median(segments.map((segment) => segment.p50Ms))),
    p99Ms: round(median(p99s)),
    ratio: round(median(p99s.map((p99, i) => p99 / plain[i].p99Ms)), 3),
    metrics: {
      seconds: round(seconds, 3),
      maxMs: round(Math.max(...segments.map((segment) => segment.maxMs))),
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
 * loader, 1 s TTL with and without `refreshAhead`, beside a plain hit (a 300 s TTL). Each round
 * runs every configuration in turn; a configuration's p99 is divided by the plain hit's of the
 * same round.
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
  const segments = new Map<Method, Segment[]>(CONFIGURATIONS.map(({ method }) => [method, []]));
  for (const { method } of CONFIGURATIONS) await measureSegment(app, method, 200); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const { method, ms } of rotate(CONFIGURATIONS, r)) {
      segments.get(method)?.push(await measureSegment(app, method, ms[mode]));
    }
  }
  const plain = segments.get('plain') ?? [];
  const contenders = CONFIGURATIONS.map((configuration) =>
    summarize(configuration, segments.get(configuration.method) ?? [], plain),
  );
  return {
    id: 'hot-key-expiry',
    title: `Hot key expiring under load: ${IN_FLIGHT} callers in flight, 1 s TTL, ${LOADER_MS} ms loader`,
    baseline: `${PLAIN} (p99 ÷ its p99)`,
    method: [
      `${IN_FLIGHT} callers in a loop on one key through a decorated method on Redis; ${rounds} rounds, each running the configurations in turn, the order rotated each round (${CONFIGURATIONS.map((c) => `${c.ms[mode] / 1000} s`).join(', ')}), each segment after one unmeasured call (the first fill).`,
      "p50/p99: medians over the rounds; ratio: median per round of this p99 ÷ the plain hit's p99 in that round; maxMs: the slowest call of all rounds.",
      `waitedForLoader: calls in flight when a load started by a miss ended that had been waiting ${WAITED_MS} ms or more; loadsOnMiss: loads a miss started (stats misses); refreshes: background refreshes (stats refreshes).`,
    ].join(' '),
    contenders,
    targets: targetsOf(contenders),
  };
}
