import { makeProfile } from '../contenders/payload.js';
import {
  bentocache,
  cacheable,
  cacheManager,
  keyvRedis,
  type PeerCache,
} from '../contenders/peers.js';
import { closeable, rawMemjs, rawRedis } from '../contenders/raw-clients.js';
import type { BenchContext } from '../harness/context.js';
import { compare } from '../harness/measure.js';
import type { Contender, ScenarioResult } from '../harness/types.js';

const RAW_REDIS = 'ioredis GET + SET (redis)';

/** Each call a key never used before: a miss, the loader (answers at once), then the write. */
function freshKeys(prefix: string): () => string {
  let n = 0;
  const run = `${process.pid}-${Date.now().toString(36)}`;
  return () => `${prefix}:${run}:${n++}`;
}

function peer(name: string, cache: PeerCache): Contender {
  const next = freshKeys(name.replace(/\W+/g, '-'));
  return { name, kind: 'peer', call: () => cache.getOrSet(next(), async () => makeProfile(1)) };
}

function rawContenders(context: BenchContext): Contender[] {
  const redis = rawRedis(context.redis.url, false);
  context.own(closeable(redis));
  const memjs = context.own(rawMemjs(context.memcached.address));
  const redisKey = freshKeys('raw-redis');
  const memjsKey = freshKeys('raw-memjs');
  const value = () => JSON.stringify(makeProfile(1));
  return [
    {
      name: RAW_REDIS,
      kind: 'floor',
      call: async () => {
        const key = redisKey();
        if ((await redis.get(key)) === null) await redis.set(key, value(), 'PX', 60_000);
      },
    },
    {
      name: 'memjs get + set (memcached)',
      kind: 'floor',
      call: async () => {
        const key = memjsKey();
        if ((await memjs.get(key)).value === null) await memjs.set(key, value(), { expires: 60 });
      },
    },
  ];
}

/** Scenario 4: miss then set, on each store, one call at a time. */
export async function missSet(context: BenchContext): Promise<ScenarioResult> {
  const stores = [
    ['memory', {}],
    ['redis', context.redisOptions()],
    ['memcached', context.memcachedOptions()],
  ] as const;
  const ours: Contender[] = [];
  for (const [store, options] of stores) {
    const app = await context.ours(options);
    const next = freshKeys(`ours-${store}`);
    ours.push({
      name: `@Cacheable (${store})`,
      kind: 'ours',
      call: () => app.service.fresh(next()),
    });
  }
  const url = context.redis.url;
  const contenders: Contender[] = [
    ...ours,
    ...rawContenders(context),
    peer('cache-manager wrap (memory)', context.own(cacheManager())),
    peer('cacheable getOrSet (memory)', context.own(cacheable())),
    peer('bentocache getOrSet (memory)', context.own(bentocache())),
    peer('cache-manager wrap (@keyv/redis)', context.own(cacheManager(keyvRedis(url)))),
    peer('bentocache getOrSet (redis)', context.own(bentocache(context.redis))),
  ];
  const comparison = await compare(
    contenders,
    { concurrency: 1, batch: 1 },
    context.settings,
    RAW_REDIS,
  );
  return {
    id: 'miss-set',
    title: 'Miss then set (loader answers at once), one call at a time',
    baseline: RAW_REDIS,
    method: 'A new key on every call: read (miss), loader, write with a TTL; sequential.',
    contenders: comparison.results(RAW_REDIS),
    targets: [],
  };
}
