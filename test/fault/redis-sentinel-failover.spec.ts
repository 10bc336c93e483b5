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
import { startRedisSentinel, type RedisSentinelHarness } from '../support/redis-sentinel.js';
import { eventually } from '../support/store-contract.js';

describe('Redis Sentinel failover (1 master, 1 replica, 3 sentinels)', () => {
  let setup: RedisSentinelHarness;
  let app: CacheApp;
  let prices: PriceService;
  const prefix = freshPrefix();
  /** What the keys of `prefix` start with on the server. */
  const onServer = `${prefix}|`;

  beforeAll(async () => {
    setup = await startRedisSentinel();
    app = await startCacheApp(
      {
        store: 'redis',
        redis: { sentinel: { sentinels: setup.sentinels, name: setup.name } },
        keyPrefix: prefix,
      },
      [PriceService],
    );
    prices = app.get(PriceService);
  });
  afterAll(async () => {
    await app?.close();
    await setup?.stop();
  });

  it('follows a switch-over (SENTINEL FAILOVER) at once, while the old master is still up', async () => {
    const old = await setup.master();
    const [heir] = setup.nodes.filter((node) => node !== old);
    let next = 20_000;
    await eventually(() => servedFromCache(app, prices, next++), 10_000);
    expect(await old.inspector.exists(onServer + priceKey(next - 1))).toBe(1);

    await setup.sentinel(0).call('SENTINEL', 'FAILOVER', setup.name);
    await eventually(async () => (await setup.master().catch(() => undefined)) === heir, 30_000);
    // Fresh entries land on the new master: the client reconnected on the sentinels'
    // +switch-master, not seconds later when the sentinels demote the old master.
    await eventually(
      async () =>
        (await servedFromCache(app, prices, next++)) &&
        (await heir.inspector.exists(onServer + priceKey(next - 1))) === 1,
      30_000,
    );
    expect(String(await old.inspector.info('replication'))).toContain('role:master');
    // Then the sentinels turn the old master into a replica of the new one.
    await setup.healthy(60_000);
    expect(String(await old.inspector.info('replication'))).toContain('role:slave');
  }, 90_000);

  it('keeps returning the method result while the master is killed, and follows the promoted replica', async () => {
    const ids = Array.from({ length: 200 }, (_, id) => id);
    const master = await setup.master();
    const [replica] = setup.nodes.filter((node) => node !== master);
    await Promise.all(ids.map((id) => prices.price(id)));
    await eventually(() => allCached(prices, ids), 10_000);
    expect(await master.inspector.exists(onServer + priceKey(0))).toBe(1);

    const load = startLoad(prices, ids);
    let report: LoadReport;
    try {
      await setup.kill(master);
      // The sentinels agree the master is down after 1 s, elect a leader and promote the replica.
      await eventually(
        async () => (await setup.master().catch(() => undefined)) === replica,
        30_000,
      );
      // A fresh key each try: caching resumes once the client has found the new master.
      let next = 10_000;
      await eventually(() => servedFromCache(app, prices, next++), 30_000);
      expect(await replica.inspector.exists(onServer + priceKey(next - 1))).toBe(1);
      expect(String(await replica.inspector.info('replication'))).toContain('role:master');
    } finally {
      report = await load.stop();
    }

    if (process.env.FAILOVER_REPORT) console.info('sentinel failover', report);
    expectFailedOpen(report, app);
    // Entries replicated before the kill are hits again on the new master.
    await eventually(() => allCached(prices, ids), 10_000);
  }, 90_000);
});
