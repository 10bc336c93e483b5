import { makeProfile, KEY_COUNT } from '../contenders/payload.js';
import { bentocache, cacheManager, keyvRedis, type PeerCache } from '../contenders/peers.js';
import { closeable, rawMemjs, rawRedis } from '../contenders/raw-clients.js';
import type { BenchContext } from '../harness/context.js';
import { compare, type Comparison } from '../harness/measure.js';
import { round } from '../harness/stats.js';
import { atLeast, atMost, fastest, lowestTail } from '../harness/targets.js';
import type { OurApp } from '../contenders/ours.js';
import type {
  Contender,
  ContenderResult,
  RunSettings,
  ScenarioResult,
  TargetResult,
} from '../harness/types.js';

const OURS = '@Cacheable (redis)';
const OURS_PIPELINED = '@Cacheable (redis, enableAutoPipelining)';
const RAW = 'ioredis GET + JSON.parse';
const RAW_PIPELINED = 'ioredis GET + JSON.parse (auto-pipelined)';

function rawRedisContender(name: string, url: string, pipelined: boolean, context: BenchContext) {
  const redis = rawRedis(url, pipelined);
  context.own(closeable(redis));
  return {
    name,
    kind: 'floor',
    call: (i: number) => redis.get(`raw:${i % KEY_COUNT}`).then((text) => JSON.parse(text ?? '')),
    fill: (id: number, value: string) => redis.set(`raw:${id}`, value),
  } satisfies Contender & { fill: unknown };
}

function peerContenders(peers: [string, PeerCache][], bytes: number): Contender[] {
  return peers.flatMap(([name, peer]) => {
    const getOrSet = (i: number) => {
      const id = i % KEY_COUNT;
      return peer.getOrSet(`profile:${bytes}:${id}`, async () => makeProfile(id, bytes));
    };
    const get = (i: number) => peer.get(`profile:${bytes}:${i % KEY_COUNT}`);
    const wrap: Contender = { name: `${name} getOrSet`, kind: 'peer', call: getOrSet };
    if (!name.startsWith('cache-manager')) return [wrap];
    return [
      { name: `${name} get`, kind: 'peer', call: get },
      { ...wrap, name: `${name} wrap` },
    ];
  });
}

/**
 * Our client's own counts over the whole scenario (fill, warm-up, rounds): a miss or an error
 * there means some measured calls were not hits (a command timed out, for instance).
 */
function withStats(results: ContenderResult[], apps: Record<string, OurApp>): ContenderResult[] {
  return results.map((result) => {
    const app = apps[result.name];
    if (!app) return result;
    const { hits, misses, errors } = app.client.stats();
    return { ...result, metrics: { hits, misses, errors } };
  });
}

/**
 * At one call in flight each round pairs a contender with the baseline (see `compare`), and the
 * machine's bursts of scheduling delay weigh on a short pair: pairs of at least 300 ms (a quick
 * run's 150 ms pairs had rounds from 0.6× to 1.1×; 300 ms, 0.9× to 1.0×). The scenarios with
 * targets get at least 7 rounds in a quick run too: at 100 in flight a burst that lands on one
 * contender's turn still spoils that round.
 */
function settingsFor(context: BenchContext, concurrency: number): RunSettings {
  const { settings } = context;
  const repetitions = Math.max(7, settings.repetitions);
  if (concurrency > 1) return { ...settings, repetitions };
  return { ...settings, repetitions, durationMs: Math.max(300, settings.durationMs) };
}

/**
 * Issue 13, item 6: `@Cacheable` over `poolSize` 2 and 4 connections per server, beside the one
 * connection of the default (kind 'ours', the baseline of no target). Each app reads the same
 * entries as the default one (same keyPrefix).
 */
async function poolContenders(
  context: BenchContext,
  store: 'redis' | 'memcached',
  call: (app: OurApp, i: number) => Promise<unknown>,
): Promise<{ contenders: Contender[]; apps: Record<string, OurApp> }> {
  const apps: Record<string, OurApp> = {};
  for (const poolSize of [2, 4]) {
    const options = store === 'redis' ? context.redisOptions() : context.memcachedOptions();
    const app = await context.ours({ ...options, [store]: { ...options[store], poolSize } });
    apps[`@Cacheable (${store}, poolSize: ${poolSize})`] = app;
  }
  const contenders = Object.entries(apps).map(([name, app]) => ({
    name,
    kind: 'ours' as const,
    call: (i: number) => call(app, i),
  }));
  return { contenders, apps };
}

/** Scenario 2 (and 6): a Redis hit through a decorated method at `concurrency` calls in flight. */
export async function redisHit(
  context: BenchContext,
  concurrency: number,
  bytes = 200,
): Promise<ScenarioResult> {
  const url = context.redis.url;
  const ours = await context.ours(context.redisOptions());
  const pipelined = await context.ours(context.redisOptions({ enableAutoPipelining: true }));
  const raw = rawRedisContender(RAW, url, false, context);
  const pools =
    concurrency > 1
      ? await poolContenders(context, 'redis', (app, i) =>
          app.service.findBlob(i % KEY_COUNT, bytes),
        )
      : { contenders: [], apps: {} };
  // Large values only: what compression costs and saves (stored bytes in the metrics column).
  const compressed =
    bytes === 200
      ? []
      : await Promise.all(
          (['gzip', 'brotli'] as const).map(async (algorithm) => ({
            name: `@Cacheable (redis, compression: ${algorithm})`,
            app: await context.ours({
              ...context.redisOptions(),
              keyPrefix: `bench-${algorithm}:`,
              compression: { algorithm },
            }),
            keyPrefix: `bench-${algorithm}:`,
          })),
        );
  const peers: [string, PeerCache][] = [
    ['cache-manager (@keyv/redis)', context.own(cacheManager(keyvRedis(url)))],
    ['bentocache (redis)', context.own(bentocache(context.redis))],
  ];
  const contenders: Contender[] = [
    { name: OURS, kind: 'ours', call: (i) => ours.service.findBlob(i % KEY_COUNT, bytes) },
    {
      name: OURS_PIPELINED,
      kind: 'ours',
      call: (i) => pipelined.service.findBlob(i % KEY_COUNT, bytes),
    },
    raw,
    rawRedisContender(RAW_PIPELINED, url, true, context),
    ...peerContenders(peers, bytes),
    ...compressed.map(({ name, app }) => ({
      name,
      kind: 'ours' as const,
      call: (i: number) => app.service.findBlob(i % KEY_COUNT, bytes),
    })),
    ...pools.contenders,
  ];
  for (let id = 0; id < KEY_COUNT; id++) {
    await raw.fill(id, JSON.stringify(makeProfile(id, bytes)));
    await Promise.all(contenders.map((contender) => contender.call(id)));
  }
  const comparison = await compare(
    contenders,
    { concurrency, batch: 1 },
    bytes === 200 ? settingsFor(context, concurrency) : context.settings,
    RAW,
  );
  const fastestPeer = fastest(comparison, contenders, (c) => c.kind === 'peer');
  const calmestPeer = lowestTail(comparison, contenders, (c) => c.kind === 'peer');
  const targets: TargetResult[] =
    bytes !== 200
      ? bytes === 10_000
        ? [atLeast(`≥ 0.9× ${RAW}`, comparison.ratio(OURS, RAW), 0.9)]
        : []
      : concurrency === 1
        ? [atLeast(`≥ 0.9× ${RAW}`, comparison.ratio(OURS, RAW), 0.9)]
        : [
            atLeast(
              `≥ 1.0× the fastest peer (${fastestPeer})`,
              comparison.ratio(OURS, fastestPeer),
              1,
            ),
            atLeast(`≥ 0.9× ${RAW_PIPELINED}`, comparison.ratio(OURS, RAW_PIPELINED), 0.9),
            tailTarget(comparison, OURS, calmestPeer, 'the peer with the lowest p99'),
          ];
  const size = bytes >= 1000 ? `${bytes / 1000} KB` : `${bytes} B`;
  return {
    id: bytes === 200 ? `redis-hit-c${concurrency}` : `payload-${bytes / 1000}k`,
    title: `Redis hit through @Cacheable, ${concurrency} in flight, ${size} value`,
    baseline: RAW,
    method: `1,000 keys cycled, ${size} JSON object, ${concurrency} calls in flight; latency per call.`,
    contenders: await withStoredBytes(
      withStats(comparison.results(RAW), {
        [OURS]: ours,
        [OURS_PIPELINED]: pipelined,
        ...Object.fromEntries(compressed.map(({ name, app }) => [name, app])),
        ...pools.apps,
      }),
      compressed,
      url,
      bytes,
      context,
    ),
    targets,
  };
}

/** Issue 13: p99 at 100 in flight within 1.2× of `other`'s, median of per-round ratios. */
function tailTarget(
  comparison: Comparison,
  ours: string,
  other: string,
  why: string,
): TargetResult {
  return atMost(
    `p99 ≤ 1.2× ${other}'s p99 (${why}; ours ${round(comparison.p99Ms(ours))} ms, theirs ${round(comparison.p99Ms(other))} ms)`,
    comparison.p99Ratio(ours, other),
    1.2,
  );
}

/** The bytes one entry takes on the server (what crosses the network on each hit), per contender. */
async function withStoredBytes(
  results: ContenderResult[],
  compressed: { name: string; keyPrefix: string }[],
  url: string,
  bytes: number,
  context: BenchContext,
): Promise<ContenderResult[]> {
  if (compressed.length === 0) return results;
  const redis = rawRedis(url, false);
  context.own(closeable(redis));
  const sizeOf = async (key: string) => Number(await redis.strlen(key));
  const sizes: Record<string, number> = {
    [OURS]: await sizeOf(`cache:|blob:${bytes}:0`),
    [RAW]: await sizeOf('raw:0'),
  };
  for (const { name, keyPrefix } of compressed) {
    sizes[name] = await sizeOf(`${keyPrefix}|blob:${bytes}:0`);
  }
  return results.map((result) =>
    sizes[result.name] === undefined
      ? result
      : { ...result, metrics: { ...result.metrics, storedBytes: sizes[result.name] } },
  );
}

/** Scenario 3: a Memcached hit through a decorated method vs raw memjs get + JSON.parse. */
export async function memcachedHit(
  context: BenchContext,
  concurrency: number,
): Promise<ScenarioResult> {
  const ours = await context.ours(context.memcachedOptions());
  const memjs = context.own(rawMemjs(context.memcached.address));
  const raw = 'memjs get + JSON.parse';
  const pools =
    concurrency > 1
      ? await poolContenders(context, 'memcached', (app, i) => app.service.findOne(i % KEY_COUNT))
      : { contenders: [], apps: {} };
  const contenders: Contender[] = [
    {
      name: '@Cacheable (memcached)',
      kind: 'ours',
      call: (i) => ours.service.findOne(i % KEY_COUNT),
    },
    {
      name: raw,
      kind: 'floor',
      call: (i) => memjs.get(`raw:${i % KEY_COUNT}`).then(({ value }) => JSON.parse(String(value))),
    },
    ...pools.contenders,
  ];
  for (let id = 0; id < KEY_COUNT; id++) {
    await memjs.set(`raw:${id}`, JSON.stringify(makeProfile(id)), { expires: 300 });
    await ours.service.findOne(id);
  }
  const comparison = await compare(
    contenders,
    { concurrency, batch: 1 },
    settingsFor(context, concurrency),
    raw,
  );
  return {
    id: `memcached-hit-c${concurrency}`,
    title: `Memcached hit through @Cacheable, ${concurrency} in flight`,
    baseline: raw,
    method: `1,000 keys cycled, ~200-byte JSON object, ${concurrency} calls in flight.`,
    contenders: withStats(comparison.results(raw), {
      '@Cacheable (memcached)': ours,
      ...pools.apps,
    }),
    targets: [
      atLeast(`≥ 0.9× ${raw}`, comparison.ratio('@Cacheable (memcached)', raw), 0.9),
      ...(concurrency > 1
        ? [tailTarget(comparison, '@Cacheable (memcached)', raw, 'no Memcached peer runs here')]
        : []),
    ],
  };
}
