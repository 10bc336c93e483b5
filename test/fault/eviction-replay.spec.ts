import { Injectable } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cacheable, CacheEvict, type CacheModuleOptions } from '../../lib/index.js';
import { freshPrefix, startCacheApp, type CacheApp } from '../support/cache-app.js';
import { pausableTopologies, type PausableTopology } from '../support/pausable-topologies.js';
import type { ServerProcess } from '../support/servers.js';
import { eventually } from '../support/store-contract.js';

/** The source of truth every app server loads from (one "database" for the two apps). */
const database = new Map<number, number>();
const priceIn = (id: number) => database.get(id) ?? id * 10;

@Injectable()
class PriceService {
  @Cacheable({ key: (id: number) => `price:${id}`, ttl: 60, tags: ['prices'] })
  async price(id: number): Promise<number> {
    return priceIn(id);
  }

  @CacheEvict({ key: (id: number) => `price:${id}` })
  async reprice(id: number, price: number): Promise<void> {
    database.set(id, price);
  }

  @CacheEvict({ tags: ['prices'] })
  async repriceAll(price: number): Promise<void> {
    for (const id of [1, 2, 3]) database.set(id, price);
  }
}

interface Variant {
  name: string;
  /** The key whose server is paused. */
  pausedKey: string;
  /**
   * Changes the prices while that server is paused. `true` when the eviction took effect all the
   * same (a Memcached `clear()` needs only one server of the pool to store the new namespace).
   */
  update(app: CacheApp): Promise<boolean | void>;
}

const variants: Variant[] = [
  {
    name: 'a @CacheEvict of a key',
    pausedKey: 'price:1',
    update: (app) => app.get(PriceService).reprice(1, 11),
  },
  {
    name: 'a @CacheEvict of a tag',
    pausedKey: '__tag__:prices',
    update: (app) => app.get(PriceService).repriceAll(11),
  },
  {
    name: 'a clear()',
    pausedKey: 'price:1',
    update: async (app) => {
      database.set(1, 11);
      return app.client.clear();
    },
  },
];

const cases = pausableTopologies.flatMap((topology) =>
  variants.map((variant) => ({ topology, variant })),
);

describe.each(pausableTopologies)('replay of missed evictions on $name', (spec) => {
  let topology: PausableTopology;
  const apps: CacheApp[] = [];
  let paused: ServerProcess | undefined;

  const open = async (keyPrefix: string, extra: CacheModuleOptions = {}) => {
    const app = await startCacheApp(
      { ...topology.options(), keyPrefix, commandTimeout: 200, ...extra },
      [PriceService],
    );
    apps.push(app);
    return app;
  };

  beforeAll(async () => {
    topology = await spec.start();
  }, 60_000);
  afterEach(async () => {
    paused?.resume();
    paused = undefined;
    database.clear();
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  afterAll(async () => {
    await topology?.stop();
  });

  const ofThisTopology = cases
    .filter(({ topology: t }) => t === spec)
    .map(({ variant }) => variant);

  it.each(ofThisTopology)(
    'never reads the old value after the server answers again: $name while it was paused',
    async (variant) => {
      const prefix = freshPrefix();
      const app = await open(prefix);
      const prices = app.get(PriceService);
      expect(await prices.price(1)).toBe(10);
      expect(await prices.price(1)).toBe(10);
      paused = await topology.ownerOf(variant.pausedKey, prefix);
      await paused.pause();

      const tookEffect = (await variant.update(app)) === true;
      const queued = app.client.stats().replay?.pending ?? 0;
      if (!tookEffect) expect(queued).toBeGreaterThan(0);

      const seen: number[] = [];
      let reading = true;
      const reader = (async () => {
        while (reading) seen.push(await prices.price(1));
      })();
      await new Promise((resolve) => setTimeout(resolve, 300));
      paused.resume();
      paused = undefined;
      await eventually(() => app.client.stats().replay?.pending === 0, 5000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      reading = false;
      await reader;

      expect(seen.length).toBeGreaterThan(3);
      expect(seen.filter((price) => price !== 11)).toEqual([]);
      if (queued > 0) expect(app.client.stats().replay?.replayed).toBeGreaterThan(0);
      // Another app server, started after the store answered again, reads the new price too.
      const other = await open(prefix);
      expect(await other.get(PriceService).price(1)).toBe(11);
      // And this one caches again.
      expect(await prices.price(1)).toBe(11);
      await eventually(async () => (await app.client.get('price:1')) === 11, 3000);
    },
    30_000,
  );
});
