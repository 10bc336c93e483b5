import type { Profile } from '../contenders/payload.js';
import {
  LOADER_MS,
  SourceDownService,
  startResilientApp,
  type ResilientApp,
} from '../contenders/resilient-services.js';
import type { BenchContext } from '../harness/context.js';
import { collectGarbage, LatencyLog } from '../harness/latency-log.js';
import { round } from '../harness/stats.js';
import type { ContenderResult, ScenarioResult, TargetResult } from '../harness/types.js';

const IN_FLIGHT = 100;
const KEYS = 10;
const GRACE_RETRY_MS = 1000;
const TTL_MS = 1000;
/** A call this slow waited for a loader call (a hit takes a few ms at most). */
const SLOW_MS = 20;

type Method = 'withGrace' | 'withoutGrace';

interface Configuration {
  method: Method;
  name: string;
  prefix: string;
  /** How long the source stays down, in a full run. */
  periodMs: number;
}

const CONFIGURATIONS: Configuration[] = [
  {
    method: 'withGrace',
    name: "@Cacheable (redis, ttl 1 s, grace '1h', graceRetry 1 s)",
    prefix: 'down:grace:',
    periodMs: 10_000,
  },
  {
    method: 'withoutGrace',
    name: '@Cacheable (redis, ttl 1 s), no grace',
    prefix: 'down:plain:',
    periodMs: 5000,
  },
];

interface Outage {
  calls: number;
  /** Calls answered with the value the source gave before it went down. */
  stale: number;
  errors: number;
  /** Calls begun once every entry had expired, and how many of them failed. */
  callsAfterExpiry: number;
  errorsAfterExpiry: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Calls of `SLOW_MS` or more. */
  slowCalls: number;
  staleHits: number;
  /** Loader calls during the outage, per key: when each started. */
  loaderCalls: number[][];
}

/** `IN_FLIGHT` callers cycling over the keys until `deadline`; how each call ended. */
async function hammer(
  service: SourceDownService,
  method: Method,
  deadline: number,
  expiry: number,
) {
  const latencies = new LatencyLog();
  const counts = { stale: 0, errors: 0, callsAfterExpiry: 0, errorsAfterExpiry: 0 };
  let next = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      const id = next++ % KEYS;
      const start = performance.now();
      const expired = start >= expiry;
      if (expired) counts.callsAfterExpiry++;
      try {
        const value: Profile = await service[method](id);
        if (value.id === id) counts.stale++;
      } catch {
        counts.errors++;
        if (expired) counts.errorsAfterExpiry++;
      }
      latencies.add(performance.now() - start);
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return { latencies, ...counts, seconds: (performance.now() - began) / 1000 };
}

function percentiles(latencies: LatencyLog) {
  const [p50Ms, p99Ms, maxMs] = latencies.percentiles(50, 99, 100);
  return { p50Ms, p99Ms, maxMs };
}

/** Every key filled while the source answers, then the source down for `ms` under load. */
async function outage(
  app: ResilientApp<SourceDownService>,
  { method, prefix }: Configuration,
  ms: number,
): Promise<Outage> {
  const { service, client } = app;
  service.down = false;
  await Promise.all(Array.from({ length: KEYS }, (_, id) => service[method](id)));
  const expiry = performance.now() + TTL_MS; // every entry's TTL over by then
  service.down = true;
  const downSince = performance.now();
  collectGarbage();
  const staleBefore = client.stats().staleHits;
  const { latencies, seconds, ...counts } = await hammer(service, method, downSince + ms, expiry);
  const loaderCalls = Array.from({ length: KEYS }, (_, id) =>
    (service.calls[prefix + id] ?? []).filter((at) => at >= downSince),
  );
  return {
    calls: latencies.length,
    ...counts,
    seconds,
    slowCalls: latencies.all().filter((latency) => latency >= SLOW_MS).length,
    ...percentiles(latencies),
    staleHits: client.stats().staleHits - staleBefore,
    loaderCalls,
  };
}

/** The shortest time between two loader calls of one key. */
function shortestGapMs(loaderCalls: number[][]): number | null {
  let shortest = Infinity;
  for (const starts of loaderCalls) {
    for (let i = 1; i < starts.length; i++)
      shortest = Math.min(shortest, starts[i] - starts[i - 1]);
  }
  return Number.isFinite(shortest) ? round(shortest) : null;
}

function summarize(configuration: Configuration, run: Outage) {
  const perKey = run.loaderCalls.map((starts) => starts.length);
  const answered = run.calls - run.errors;
  return {
    name: configuration.name,
    kind: 'ours',
    opsPerSec: Math.round(run.calls / run.seconds),
    p50Ms: round(run.p50Ms),
    p99Ms: round(run.p99Ms),
    ratio: round(answered / run.calls, 4),
    metrics: {
      seconds: round(run.seconds, 3),
      calls: run.calls,
      answeredStale: run.stale,
      errors: run.errors,
      errorRate: round(run.errors / run.calls, 4),
      callsAfterExpiry: run.callsAfterExpiry,
      errorRateAfterExpiry: round(run.errorsAfterExpiry / run.callsAfterExpiry, 4),
      staleHits: run.staleHits,
      maxMs: round(run.maxMs),
      slowCalls: run.slowCalls,
      loaderCalls: perKey.reduce((total, count) => total + count, 0),
      loaderCallsPerKeyMax: Math.max(...perKey),
      shortestRetryGapMs: shortestGapMs(run.loaderCalls),
    },
  } satisfies ContenderResult;
}

function targetsOf(graced: ReturnType<typeof summarize>, periodMs: number): TargetResult[] {
  const { calls, answeredStale, loaderCallsPerKeyMax, shortestRetryGapMs } = graced.metrics;
  const allowed = Math.ceil(periodMs / GRACE_RETRY_MS);
  return [
    {
      text: `${graced.name}: 100 % of calls answered with the stale value while the source is down (${answeredStale} of ${calls})`,
      met: answeredStale === calls,
      value: round((answeredStale / calls) * 100, 6),
    },
    {
      text: `${graced.name}: loader called at most once per graceRetry per key and process (shortest gap ${shortestRetryGapMs} ms; at most ${loaderCallsPerKeyMax} calls per key in ${periodMs / 1000} s, ${allowed} allowed)`,
      met:
        (shortestRetryGapMs === null || shortestRetryGapMs >= GRACE_RETRY_MS) &&
        loaderCallsPerKeyMax <= allowed,
      value: shortestRetryGapMs,
    },
  ];
}

/**
 * `source-down`: 100 callers in flight over 10 keys through `@Cacheable` on Redis; every entry is
 * filled, then the loader fails (after its 50 ms) for the whole period, with and without grace.
 */
export async function sourceDown(context: BenchContext): Promise<ScenarioResult> {
  const app = context.own(
    await startResilientApp(
      { ...context.redisOptions(), keyPrefix: `down:${process.pid}:` },
      SourceDownService,
    ),
  );
  const scale = context.settings.quick ? 0.3 : 1;
  const periods = CONFIGURATIONS.map((configuration) => configuration.periodMs * scale);
  const contenders: ReturnType<typeof summarize>[] = [];
  for (const [i, configuration] of CONFIGURATIONS.entries()) {
    contenders.push(summarize(configuration, await outage(app, configuration, periods[i])));
  }
  return {
    id: 'source-down',
    title: `Source down: ${IN_FLIGHT} callers in flight over ${KEYS} keys, the loader failing after ${LOADER_MS} ms`,
    baseline: 'all calls (share answered)',
    method: [
      `${IN_FLIGHT} callers in a loop over ${KEYS} keys through a decorated method on Redis, one process; every key filled, then the loader fails for ${periods[0] / 1000} s with grace, ${periods[1] / 1000} s without.`,
      `answeredStale: calls that returned the value loaded before the source went down; ratio: share of calls answered (not rejected); errorRateAfterExpiry: among the calls begun once every entry had passed its 1 s TTL; loader calls counted per key from the moment the source went down; shortestRetryGapMs: the shortest time between two loader calls of one key; slowCalls: calls of ${SLOW_MS} ms or more (waiting for a loader call).`,
    ].join(' '),
    contenders,
    targets: targetsOf(contenders[0], periods[0]),
  };
}
