import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cacheable, type CacheModuleOptions } from '../../lib/index.js';
import { startCacheApp, type CacheApp } from '../../test/support/cache-app.js';
import { startRedis, type RedisServer } from '../../test/support/servers.js';
import type { BenchContext } from '../harness/context.js';
import { median, percentile, round } from '../harness/stats.js';
import type { ContenderResult, ScenarioResult } from '../harness/types.js';

const IN_FLIGHT = 100;
const LOADER_MS = 2;
const COMMAND_TIMEOUT_MS = 250;
const BREAK_FOR = '1s';
/** Rounds measured with the breaker off: each one waits a command timeout. */
const ROUNDS_WITHOUT_BREAKER = 5;

/** The method's own work: a fixed 2 ms, as a query to a fast source would take. */
async function ownWork(id: number): Promise<{ id: number }> {
  await sleep(LOADER_MS);
  return { id };
}

@Injectable()
class HungService {
  @Cacheable({ key: (id: number) => `hung:${id}`, ttl: 600 })
  quote(id: number): Promise<{ id: number }> {
    return ownWork(id);
  }
}

/** Latencies (ms) of `IN_FLIGHT` calls started together. */
async function round100(call: (id: number) => Promise<unknown>): Promise<number[]> {
  return Promise.all(
    Array.from({ length: IN_FLIGHT }, async (_, id) => {
      const started = performance.now();
      await call(id);
      return performance.now() - started;
    }),
  );
}

interface Rounds {
  decorated: number[];
  bare: number[];
  /** Per round: median decorated latency ÷ median bare latency. */
  costs: number[];
}

/** Rounds of 100 decorated calls then 100 bare calls, for `durationMs` or `count` rounds. */
async function measure(
  service: HungService,
  limit: { durationMs?: number; count?: number },
): Promise<Rounds> {
  const rounds: Rounds = { decorated: [], bare: [], costs: [] };
  const end = performance.now() + (limit.durationMs ?? Infinity);
  for (let r = 0; r < (limit.count ?? Infinity) && performance.now() < end; r++) {
    const decorated = await round100((id) => service.quote(id));
    const bare = await round100(ownWork);
    rounds.decorated.push(...decorated);
    rounds.bare.push(...bare);
    rounds.costs.push(median(decorated) / median(bare));
  }
  return rounds;
}

/** Keeps 100 calls in flight, round after round, until `done()`; the time it took. */
async function loadUntil(service: HungService, done: () => boolean, maxMs = 30_000) {
  const started = performance.now();
  while (!done()) {
    if (performance.now() - started > maxMs) throw new Error('hung-server: gave up waiting');
    await round100((id) => service.quote(id));
  }
  return performance.now() - started;
}

function result(name: string, rounds: Rounds, kind: 'ours' | 'floor' = 'ours'): ContenderResult {
  const latencies = kind === 'floor' ? rounds.bare : rounds.decorated;
  const p50 = median(latencies);
  return {
    name,
    kind,
    opsPerSec: round(IN_FLIGHT / (p50 / 1000)),
    p50Ms: round(p50, 3),
    p99Ms: round(percentile(latencies, 99), 3),
    ratio: kind === 'floor' ? 1 : round(1 / median(rounds.costs), 3),
    metrics: kind === 'floor' ? undefined : { costVsMethod: round(median(rounds.costs), 3) },
  };
}

async function openApp(redis: RedisServer, breaker: boolean): Promise<CacheApp> {
  const options: CacheModuleOptions = {
    store: 'redis',
    redis: { url: redis.url },
    keyPrefix: `bench-hung-${breaker ? 'on' : 'off'}:`,
    commandTimeout: COMMAND_TIMEOUT_MS,
    circuitBreaker: breaker ? { breakFor: BREAK_FOR } : false,
  };
  return startCacheApp(options, [HungService]);
}

/**
 * A SIGSTOPped Redis under 100 calls in flight through `@Cacheable`, a 2 ms method: the cost of a
 * decorated call once the circuit is open, against the method alone in the same round; how long
 * the circuit takes to open after the pause and to close after SIGCONT. Its own Redis, paused.
 */
export async function hungServer(context: BenchContext): Promise<ScenarioResult> {
  const redis = await startRedis();
  const apps: CacheApp[] = [];
  try {
    const app = await openApp(redis, true);
    apps.push(app);
    const service = app.get(HungService);
    await round100((id) => service.quote(id));
    const circuit = () => app.client.stats().circuit?.nodes[0]?.state ?? 'closed';

    await redis.pause();
    const openMs = await loadUntil(service, () => circuit() === 'open');
    const open = await measure(service, { durationMs: context.settings.quick ? 1500 : 4000 });

    const hitsBefore = app.client.stats().hits;
    redis.resume();
    const closeMs = await loadUntil(
      service,
      () => circuit() === 'closed' && app.client.stats().hits > hitsBefore,
    );

    const off = await openApp(redis, false);
    apps.push(off);
    const offService = off.get(HungService);
    await round100((id) => offService.quote(id));
    await redis.pause();
    const without = await measure(offService, { count: ROUNDS_WITHOUT_BREAKER });
    redis.resume();

    const cost = median(open.costs);
    return {
      id: 'hung-server',
      title: `Hung Redis (SIGSTOP), ${IN_FLIGHT} @Cacheable calls in flight, ${LOADER_MS} ms method`,
      baseline: 'method alone',
      method: `Redis paused with SIGSTOP under ${IN_FLIGHT} decorated calls in flight (commandTimeout ${COMMAND_TIMEOUT_MS} ms, circuitBreaker failures 5, breakFor ${BREAK_FOR}); each round runs ${IN_FLIGHT} decorated calls, then ${IN_FLIGHT} calls of the bare ${LOADER_MS} ms method; cost = median decorated latency ÷ median bare latency, median over rounds. Open: from SIGSTOP to the open circuit; close: from SIGCONT to a closed circuit and a hit, under the same load.`,
      contenders: [
        result('method alone', open, 'floor'),
        {
          ...result('ours, breaker open', open),
          metrics: {
            costVsMethod: round(cost, 3),
            openAfterMs: round(openMs, 3),
            closeAfterMs: round(closeMs, 3),
            rounds: open.costs.length,
          },
        },
        result('ours, circuitBreaker: false', without),
      ],
      targets: [
        {
          text: 'breaker open: a decorated call costs ≤ 1.1× the method alone (median per-round ratio)',
          met: cost <= 1.1,
          value: round(cost, 3),
        },
      ],
    };
  } finally {
    redis.resume();
    await Promise.all(apps.map((app) => app.close().catch(() => undefined)));
    await redis.stop();
  }
}
