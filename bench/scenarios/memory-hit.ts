import { Keyv } from 'keyv';
import { LRUCache } from 'lru-cache';
import { makeProfile, KEY_COUNT, type Profile } from '../contenders/payload.js';
import { bentocache, cacheable, cacheManager, type PeerCache } from '../contenders/peers.js';
import type { BenchContext } from '../harness/context.js';
import { compare } from '../harness/measure.js';
import { atLeast, fastest } from '../harness/targets.js';
import type { Contender, ScenarioResult } from '../harness/types.js';

const OURS = '@Cacheable (memory store)';
const OURS_FROZEN = '@Cacheable (memory store, clone: false)';
const CACHE_MANAGER_DEFAULT = 'cache-manager wrap (createCache() default: no copy)';

function getOrSetContender(name: string, peer: PeerCache): Contender {
  const load = (id: number) => async () => makeProfile(id);
  return {
    name,
    kind: 'peer',
    call: (i) => {
      const id = i % KEY_COUNT;
      return peer.getOrSet(`profile:${id}`, load(id));
    },
  };
}

function floors(): Contender[] {
  const keys = Array.from({ length: KEY_COUNT }, (_, id) => `profile:${id}`);
  const map = new Map<string, Profile>();
  const lru = new LRUCache<string, Profile>({ max: 10_000 });
  keys.forEach((key, id) => {
    map.set(key, makeProfile(id));
    lru.set(key, makeProfile(id));
  });
  return [
    { name: 'lru-cache get', kind: 'floor', sync: true, call: (i) => lru.get(keys[i % KEY_COUNT]) },
    { name: 'Map.get', kind: 'floor', sync: true, call: (i) => map.get(keys[i % KEY_COUNT]) },
    {
      name: 'await Map.get',
      kind: 'floor',
      call: async (i: number) => map.get(keys[i % KEY_COUNT]),
    },
  ];
}

/** Scenario 1: a hit on the in-process store through a decorated provider method, one at a time. */
export async function memoryHit(context: BenchContext): Promise<ScenarioResult> {
  const ours = await context.ours({});
  // Each peer as its users run it; cache-manager's copy-safe configuration (a copy per hit, like
  // ours by default) beside it, labelled, and not the baseline of any target.
  const peers: [string, PeerCache][] = [
    [CACHE_MANAGER_DEFAULT, cacheManager()],
    ['cacheable getOrSet', cacheable()],
    ['bentocache getOrSet (memory)', bentocache()],
  ];
  const copySafe = getOrSetContender(
    'cache-manager wrap (stores: [new Keyv()]: a copy per hit)',
    context.own(cacheManager(new Keyv())),
  );
  const contenders: Contender[] = [
    { name: OURS, kind: 'ours', call: (i) => ours.service.findOne(i % KEY_COUNT) },
    { name: OURS_FROZEN, kind: 'ours', call: (i) => ours.service.findOneFrozen(i % KEY_COUNT) },
    ...peers.map(([name, peer]) => getOrSetContender(name, context.own(peer))),
    { ...copySafe, kind: 'peer-config' },
    ...floors(),
  ];
  for (let i = 0; i < KEY_COUNT; i++) await Promise.all(contenders.map((c) => c.call(i)));
  const comparison = await compare(contenders, { concurrency: 1, batch: 100 }, context.settings);
  const baseline = fastest(comparison, contenders, (c) => c.kind === 'peer');
  return {
    id: 'memory-hit',
    title: 'Memory hit through @Cacheable, sequential awaits',
    baseline,
    method:
      '1,000 keys cycled, ~200-byte object, one call at a time; latency = time of 100 calls ÷ 100.',
    contenders: comparison.results(baseline),
    targets: [
      atLeast(
        `≥ 2× the fastest peer's get-or-set in its default configuration (${baseline}), copies kept`,
        comparison.ratio(OURS, baseline),
        2,
      ),
      atLeast(
        `clone: false ≥ 4× the fastest peer's default (${baseline})`,
        comparison.ratio(OURS_FROZEN, baseline),
        4,
      ),
    ],
  };
}
