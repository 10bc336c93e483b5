import calculateSlot from 'cluster-key-slot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPrefix, startCacheApp, type CacheApp } from '../support/cache-app.js';
import {
  allCached,
  expectFailedOpen,
  PriceService,
  priceKey,
  servedFromCache,
  startLoad,
  type LoadReport,
} from '../support/failover-load.js';
import {
  keysInSlots,
  startRedisCluster,
  type ClusterMember,
  type RedisClusterHarness,
} from '../support/redis-cluster.js';
import { eventually } from '../support/store-contract.js';

describe('Redis Cluster failover (3 masters, 3 replicas)', () => {
  let cluster: RedisClusterHarness;
  let app: CacheApp;
  let prices: PriceService;
  const prefix = freshPrefix();
  /** What the keys of `prefix` start with on the server. */
  const onServer = `${prefix}|`;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    app = await startCacheApp(
      { store: 'redis', redis: { cluster: { nodes: cluster.nodes } }, keyPrefix: prefix },
      [PriceService],
    );
    prices = app.get(PriceService);
  });
  afterAll(async () => {
    await app?.close();
    await cluster?.stop();
  });

  it('keeps returning the method result while a master is killed, and caches its slots again on the promoted replica', async () => {
    // 600 ids whose keys land on every master; the victim is the master of id 0's slot.
    const ids = Array.from({ length: 600 }, (_, id) => id);
    const slotOf = (id: number) => calculateSlot(onServer + priceKey(id));
    const masters = new Set<ClusterMember>();
    for (const id of ids) masters.add(await cluster.masterOf(slotOf(id)));
    expect(masters.size).toBe(3);
    const victim = await cluster.masterOf(slotOf(0));
    const heir = await cluster.replicaOf(victim);
    const victimSlots = await cluster.slotsOf(victim);
    const onVictim = ids.filter((id) =>
      victimSlots.some(([first, last]) => slotOf(id) >= first && slotOf(id) <= last),
    );
    expect(onVictim.length).toBeGreaterThan(100);

    await Promise.all(ids.map((id) => prices.price(id)));
    await eventually(() => allCached(prices, ids), 10_000);

    const load = startLoad(prices, ids);
    let report: LoadReport;
    try {
      await cluster.kill(victim);
      // The replica takes the victim's slots once the others mark it failed (node timeout 2 s).
      await cluster.failedOver(victim);
      expect((await cluster.masterOf(victimSlots[0][0])).id).toBe(heir.id);
      // Fresh keys in the victim's slots: a write and a read must both reach the promoted replica.
      const fresh = keysInSlots(victimSlots, 200, (i) => priceKey(10_000 + i), onServer).map(
        (key) => Number(key.slice('price:'.length)),
      );
      let next = 0;
      await eventually(() => servedFromCache(app, prices, fresh[next++]), 30_000);
      const resumed = fresh[next - 1];
      expect(await heir.inspector.exists(onServer + priceKey(resumed))).toBe(1);
    } finally {
      report = await load.stop();
    }

    if (process.env.FAILOVER_REPORT) console.info('cluster failover', report);
    expectFailedOpen(report, app);
    // And once promoted, the victim's old keys (replicated before the kill) are hits again.
    await eventually(() => allCached(prices, onVictim), 10_000);
  }, 90_000);
});
