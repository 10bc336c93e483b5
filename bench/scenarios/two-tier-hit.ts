import { makeProfile, KEY_COUNT } from '../contenders/payload.js';
import { bentocacheTiers, bentoPeer } from '../contenders/peers.js';
import { closeable, rawRedis } from '../contenders/raw-clients.js';
import type { BenchContext } from '../harness/context.js';
import { compare } from '../harness/measure.js';
import { atLeast } from '../harness/targets.js';
import type { Contender, ContenderResult, ScenarioResult } from '../harness/types.js';
import type { OurApp } from '../contenders/ours.js';

const OURS = '@Cacheable (redis, l1: true)';
const MEMORY = '@Cacheable (memory store)';
const RAW = 'ioredis GET + JSON.parse';
const BENTO = 'bentocache getOrSet (L1 memory + L2 redis + bus)';

/** Where each of our hits was answered, over the whole scenario (fill, warm-up, rounds). */
function withTierStats(results: ContenderResult[], apps: Record<string, OurApp>) {
  return results.map((result) => {
    const app = apps[result.name];
    if (!app) return result;
    const { hits, l1, l1Hits, l2Hits, misses, errors } = app.client.stats();
    const answered: Record<string, number> = l1 ? { l1Hits, l2Hits } : { hits };
    return { ...result, metrics: { ...answered, misses, errors } };
  });
}

/**
 * A hit through `@Cacheable` on Redis with the L1 tier, one call at a time, beside our memory
 * store's hit, a bare Redis GET and bentocache's own two tiers. Every contender's keys are filled
 * first, so every measured call of a tiered contender is answered from its L1.
 */
export async function twoTierHit(context: BenchContext): Promise<ScenarioResult> {
  const tiered = await context.ours({ ...context.redisOptions(), l1: true });
  const memory = await context.ours({});
  const redis = rawRedis(context.redis.url, false);
  context.own(closeable(redis));
  const bento = context.own(bentoPeer(bentocacheTiers(context.redis)));
  const contenders: Contender[] = [
    { name: OURS, kind: 'ours', call: (i) => tiered.service.findOne(i % KEY_COUNT) },
    { name: MEMORY, kind: 'ours', call: (i) => memory.service.findOne(i % KEY_COUNT) },
    {
      name: RAW,
      kind: 'floor',
      call: (i) => redis.get(`raw:${i % KEY_COUNT}`).then((text) => JSON.parse(text ?? '')),
    },
    {
      name: BENTO,
      kind: 'peer',
      call: (i) => {
        const id = i % KEY_COUNT;
        return bento.getOrSet(`profile:${id}`, async () => makeProfile(id));
      },
    },
  ];
  for (let id = 0; id < KEY_COUNT; id++) {
    await redis.set(`raw:${id}`, JSON.stringify(makeProfile(id)));
    for (const contender of contenders) await contender.call(id);
  }
  // In-process calls are timed 100 at a time (see `LoadShape.batch`), so the rounds run the
  // contenders one after the other, each alone; at least 7 of them, as for every target.
  const settings = { ...context.settings, repetitions: Math.max(7, context.settings.repetitions) };
  const comparison = await compare(contenders, { concurrency: 1, batch: 100 }, settings);
  return {
    id: 'two-tier-hit',
    title: 'Hit through @Cacheable on Redis with L1, sequential awaits',
    baseline: MEMORY,
    method:
      '1,000 keys cycled, ~200-byte object, one call at a time, every tiered call answered from L1; latency = time of 100 calls ÷ 100; l1Hits/l2Hits count the whole scenario, fill included.',
    contenders: withTierStats(comparison.results(MEMORY), { [OURS]: tiered, [MEMORY]: memory }),
    targets: [
      atLeast(`≥ 0.8× ${MEMORY}`, comparison.ratio(OURS, MEMORY), 0.8),
      atLeast(`≥ 20× ${RAW}`, comparison.ratio(OURS, RAW), 20),
      atLeast(`≥ 10× ${BENTO}`, comparison.ratio(OURS, BENTO), 10),
    ],
  };
}
