import { Keyv } from 'keyv';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryStore } from '../../lib/index.js';
import { makeProfile } from '../contenders/payload.js';
import { bentocache, cacheable, cacheManager, keyvRedis } from '../contenders/peers.js';
import type { PeerCache } from '../contenders/peers.js';
import type { OurApp } from '../contenders/ours.js';
import { inspectRedis } from '../../test/support/redis-cli.js';
import type { BenchContext } from '../harness/context.js';
import {
  CountingMap,
  memcachedCommands,
  redisCommands,
  type CommandCounter,
} from '../harness/command-counters.js';
import { median, percentile, round } from '../harness/stats.js';
import type { ContenderKind, ContenderResult, ScenarioResult } from '../harness/types.js';

const CALLERS = 1000;
const MEMCACHED_NAMESPACE_REFRESH_MS = 1000;
const LOADER_MS = 50;

interface StampedeSubject {
  name: string;
  kind: ContenderKind;
  /** One caller: the slow load on `key`, through the subject's cache-aside. */
  call(key: string, load: () => Promise<unknown>): Promise<unknown>;
  /** Commands the backend served so far; `undefined` when they cannot be counted. */
  commands?: CommandCounter;
  /** Loader calls so far, for a subject whose loader is its own (our decorated method). */
  loads?: () => number;
  /** Run before counting starts (our memcached store reads its namespace version once a second). */
  warm?: () => Promise<unknown>;
}

interface Run {
  loaderCalls: number;
  commands: number | null;
  totalMs: number;
  latencies: number[];
}

async function stampede(subject: StampedeSubject, key: string): Promise<Run> {
  let loaderCalls = 0;
  const load = async () => {
    loaderCalls++;
    await sleep(LOADER_MS);
    return makeProfile(1);
  };
  await subject.warm?.();
  const loadsBefore = subject.loads?.() ?? 0;
  const before = await subject.commands?.();
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      await subject.call(key, load);
      latencies.push(performance.now() - started);
    }),
  );
  const totalMs = performance.now() - started;
  await sleep(20); // writes sent after the callers were answered are counted too
  const after = await subject.commands?.();
  const commands = before === undefined || after === undefined ? null : after - before;
  if (subject.loads) loaderCalls = subject.loads() - loadsBefore;
  return { loaderCalls, commands, totalMs, latencies };
}

function oursSubject(
  name: string,
  app: OurApp,
  commands?: CommandCounter,
  warm: () => Promise<unknown> = () => app.client.get('stampede:warm-up'),
): StampedeSubject {
  return {
    name,
    kind: 'ours',
    call: (key) => app.service.slow(key),
    commands,
    loads: () => app.service.loads,
    warm,
  };
}

/**
 * Our memcached store re-reads its namespace version once per `namespaceRefreshMs` (1 s): a
 * background read per process and second, not per call. Waiting that long, then one read, starts
 * the run just after a refresh, so that the count is the stampede's own.
 */
function afterNamespaceRefresh(app: OurApp): () => Promise<unknown> {
  return async () => {
    await sleep(MEMCACHED_NAMESPACE_REFRESH_MS);
    await app.client.get('stampede:warm-up');
  };
}

function peerSubject(name: string, cache: PeerCache, commands?: CommandCounter): StampedeSubject {
  return { name, kind: 'peer', call: (key, load) => cache.getOrSet(key, load), commands };
}

/** Our memory store, counting the calls it serves. */
class CountingMemoryStore extends MemoryStore {
  commands = 0;
  override get(key: string) {
    this.commands++;
    return super.get(key);
  }
  override set(key: string, value: string, ttlMs?: number) {
    this.commands++;
    super.set(key, value, ttlMs);
  }
}

async function subjects(context: BenchContext): Promise<StampedeSubject[]> {
  const inspector = inspectRedis(context.redis.port);
  context.own({ close: async () => void inspector.disconnect() });
  const redis = redisCommands(inspector);
  const memcached = memcachedCommands(context.memcached.port);
  const memoryStore = new CountingMemoryStore();
  const cmMap = new CountingMap<string, unknown>();
  const url = context.redis.url;
  const memcachedApp = await context.ours(context.memcachedOptions());
  return [
    oursSubject(
      '@Cacheable (memory)',
      await context.ours({ store: memoryStore }),
      async () => memoryStore.commands,
    ),
    oursSubject('@Cacheable (redis)', await context.ours(context.redisOptions()), redis),
    oursSubject(
      '@Cacheable (memcached)',
      memcachedApp,
      memcached,
      afterNamespaceRefresh(memcachedApp),
    ),
    peerSubject(
      'cache-manager wrap (memory)',
      context.own(cacheManager(new Keyv({ store: cmMap }))),
      async () => cmMap.commands,
    ),
    peerSubject(
      'cache-manager wrap (@keyv/redis)',
      context.own(cacheManager(keyvRedis(url))),
      redis,
    ),
    peerSubject('cacheable getOrSet (memory)', context.own(cacheable())),
    peerSubject('cacheable getOrSet (@keyv/redis)', context.own(cacheable(keyvRedis(url))), redis),
    peerSubject('bentocache getOrSet (memory)', context.own(bentocache())),
    peerSubject('bentocache getOrSet (redis)', context.own(bentocache(context.redis)), redis),
  ];
}

function summarize(subject: StampedeSubject, runs: Run[], baselineMs: number[]): ContenderResult {
  const totals = runs.map((run) => run.totalMs);
  const counts = runs.map((run) => run.commands);
  return {
    name: subject.name,
    kind: subject.kind,
    opsPerSec: Math.round(CALLERS / (median(totals) / 1000)),
    p50Ms: round(median(runs.map((run) => percentile(run.latencies, 50)))),
    p99Ms: round(median(runs.map((run) => percentile(run.latencies, 99)))),
    ratio: round(median(totals.map((total, i) => baselineMs[i] / total)), 3),
    metrics: {
      loaderCalls: Math.max(...runs.map((run) => run.loaderCalls)),
      backendCommands: counts.includes(null) ? null : Math.max(...(counts as number[])),
      totalMs: round(median(totals)),
    },
  };
}

/** Scenario 5: 1,000 concurrent calls on one cold key, a 50 ms loader, no tags. */
export async function stampedeScenario(context: BenchContext): Promise<ScenarioResult> {
  const all = await subjects(context);
  const runs = new Map<string, Run[]>(all.map((subject) => [subject.name, []]));
  const repetitions = Math.max(3, context.settings.repetitions);
  for (let round = 0; round < repetitions; round++) {
    for (const [i, subject] of all.entries()) {
      const key = `stampede:${process.pid}:${round}:${i}`;
      runs.get(subject.name)?.push(await stampede(subject, key));
    }
  }
  const baseline = 'cache-manager wrap (@keyv/redis)';
  const baselineMs = (runs.get(baseline) ?? []).map((run) => run.totalMs);
  const contenders = all.map((subject) =>
    summarize(subject, runs.get(subject.name) ?? [], baselineMs),
  );
  const ours = contenders.filter((contender) => contender.kind === 'ours');
  return {
    id: 'stampede',
    title: `Stampede: ${CALLERS.toLocaleString('en')} concurrent calls on one cold key, ${LOADER_MS} ms loader`,
    baseline,
    method:
      'Loader calls and backend commands (Redis INFO commandstats, memcached stats, counted Map/store calls for memory) are the worst over the repetitions; time is the median.',
    contenders,
    targets: ours.map((contender) => {
      const { loaderCalls, backendCommands } = contender.metrics ?? {};
      const met = loaderCalls === 1 && typeof backendCommands === 'number' && backendCommands <= 2;
      return {
        text: `${contender.name}: exactly 1 loader call and ≤ 2 backend commands (loader calls ${loaderCalls}, commands ${backendCommands})`,
        met,
        value: typeof backendCommands === 'number' ? backendCommands : null,
      };
    }),
  };
}
