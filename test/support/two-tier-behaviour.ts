import { Injectable } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cacheable, CacheEvict, CachePut, type CacheModuleOptions } from '../../lib/index.js';
import {
  freshPrefix,
  patient,
  startCacheApp,
  type BackendFixture,
  type BackendSpec,
  type CacheApp,
} from './cache-app.js';
import { eventually } from './store-contract.js';
import { busDelivered, busReceived, tierHits } from './two-tier-apps.js';

interface Item {
  id: number;
  name: string;
  parts: string[];
}

/** The database both app servers of a test read and write. */
const database = new Map<number, Item>();

/** One service, deployed on every app server of a test. */
@Injectable()
class Catalog {
  loads = 0;

  @Cacheable({ key: (id: number) => `item:${id}`, tags: (id: number) => ['items', `item:${id}`] })
  async find(id: number): Promise<Item | null> {
    this.loads++;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const row = database.get(id);
    return row ? structuredClone(row) : null;
  }

  @CachePut({ key: (id: number) => `item:${id}`, tags: (id: number) => ['items', `item:${id}`] })
  async rename(id: number, name: string): Promise<Item> {
    const item = { ...database.get(id)!, name };
    database.set(id, item);
    return item;
  }

  @CacheEvict({ key: (id: number) => `item:${id}` })
  async remove(id: number): Promise<void> {
    database.delete(id);
  }

  @CacheEvict({ tags: ['items'] })
  async renameAll(suffix: string): Promise<void> {
    for (const [id, item] of database) database.set(id, { ...item, name: item.name + suffix });
  }

  @CacheEvict({ allEntries: true })
  async reload(): Promise<void> {}
}

/**
 * Two tiers on a shared backend: every app server answers hot reads from its own L1, and a change
 * made through one reaches the L1 of every other (once its bus message arrives, a moment after the
 * call returns). `spec.setup()` must give options with `l1` on.
 */
export function describeTwoTiers(spec: BackendSpec) {
  describe('two tiers (L1 + bus)', () => {
    let backend: BackendFixture;
    const apps: CacheApp[] = [];

    /** Two app servers sharing one cache (one namespace). */
    const twoServers = async (options: Partial<CacheModuleOptions> = {}) => {
      const keyPrefix = freshPrefix();
      const start = () =>
        startCacheApp(patient({ ...backend.options(keyPrefix), ...options }), [Catalog]);
      const [a, b] = [await start(), await start()];
      apps.push(a, b);
      return { a, b };
    };

    beforeAll(async () => {
      backend = await spec.setup();
    });
    afterEach(async () => {
      await Promise.all(apps.splice(0).map((app) => app.close()));
      database.clear();
    });
    afterAll(async () => backend?.teardown());

    it('answers repeated reads from L1: one store read, then L1 hits', async () => {
      const { a } = await twoServers();
      await a.client.set('hot', { n: 1 });
      const before = tierHits(a);
      for (let i = 0; i < 5; i++) expect(await a.client.get('hot')).toEqual({ n: 1 });
      expect(tierHits(a)).toEqual({ l1: before.l1 + 5, l2: before.l2 });
    });

    it('fills L1 from the store on a read, then answers from L1', async () => {
      const { a, b } = await twoServers();
      await a.client.set('shared', 'v1');
      // A read begun before the write's message arrived keeps nothing in L1 (it cannot tell
      // whether it read the value before or after the write): wait for it.
      await busDelivered(b, 1);
      expect(await b.client.get('shared')).toBe('v1');
      expect(await b.client.get('shared')).toBe('v1');
      expect(tierHits(b)).toEqual({ l1: 1, l2: 1 });
    });

    it('a write through A reaches the L1 of B: B reads the new value once the message arrives', async () => {
      const { a, b } = await twoServers();
      await a.client.set('shared', 'v1');
      await busDelivered(b, 1);
      expect(await b.client.get('shared')).toBe('v1');
      expect(await b.client.get('shared')).toBe('v1');
      await a.client.set('shared', 'v2');
      await busDelivered(b, 2);
      expect(await b.client.get('shared')).toBe('v2');
      expect(await b.client.get('shared')).toBe('v2');
      expect(tierHits(b)).toEqual({ l1: 2, l2: 2 });
    });

    it('delete, deleteMany, setMany and clear() through A reach the L1 of B', async () => {
      const { a, b } = await twoServers();
      await a.client.setMany(['k1', 'k2', 'k3', 'k4'].map((key) => ({ key, value: key })));
      await b.client.getMany(['k1', 'k2', 'k3', 'k4']);
      expect(await b.client.getMany(['k1', 'k2', 'k3', 'k4'])).toEqual(['k1', 'k2', 'k3', 'k4']);

      let heard = busReceived(b);
      await a.client.delete('k1');
      await a.client.deleteMany(['k2']);
      await a.client.setMany([{ key: 'k3', value: 'k3 again' }]);
      await busDelivered(b, heard + 3);
      expect(await b.client.getMany(['k1', 'k2', 'k3', 'k4'])).toEqual([
        undefined,
        undefined,
        'k3 again',
        'k4',
      ]);

      heard = busReceived(b);
      await a.client.clear();
      await busDelivered(b, heard + 1);
      expect(await b.client.get('k4')).toBeUndefined();
      expect(b.client.stats().l1?.entries).toBe(0);
    });

    it('@CachePut, @CacheEvict and allEntries through A reach the decorated reads of B', async () => {
      database.set(1, { id: 1, name: 'Kettle', parts: ['lid'] });
      database.set(2, { id: 2, name: 'Teapot', parts: [] });
      const { a, b } = await twoServers();
      const [onA, onB] = [a.get(Catalog), b.get(Catalog)];
      expect(await onB.find(1)).toMatchObject({ name: 'Kettle' });
      expect(await onB.find(1)).toMatchObject({ name: 'Kettle' });
      expect(onB.loads).toBe(1);

      let heard = busReceived(b);
      await onA.rename(1, 'Kettle II');
      await busDelivered(b, heard + 1);
      expect(await onB.find(1)).toMatchObject({ name: 'Kettle II' });
      expect(onB.loads).toBe(1);

      heard = busReceived(b);
      await onA.remove(1);
      await busDelivered(b, heard + 1);
      expect(await onB.find(1)).toBeNull();
      expect(onB.loads).toBe(2);

      await onB.find(2);
      heard = busReceived(b);
      await onA.reload();
      await busDelivered(b, heard + 1);
      await onB.find(2);
      expect(onB.loads).toBe(4);
    });

    it('a tag invalidation through A makes the tagged entries miss in the L1 of B, and only those', async () => {
      database.set(1, { id: 1, name: 'Kettle', parts: [] });
      database.set(2, { id: 2, name: 'Teapot', parts: [] });
      const { a, b } = await twoServers();
      const onB = b.get(Catalog);
      await b.client.set('untagged', 'kept');
      await onB.find(1);
      await onB.find(2);
      expect(await b.client.get('untagged')).toBe('kept');

      const heard = busReceived(b);
      await a.get(Catalog).renameAll(' (new)');
      await busDelivered(b, heard + 1);
      const l1Before = tierHits(b).l1;
      expect(await onB.find(1)).toMatchObject({ name: 'Kettle (new)' });
      expect(await onB.find(2)).toMatchObject({ name: 'Teapot (new)' });
      expect(await b.client.get('untagged')).toBe('kept');
      expect(tierHits(b).l1).toBe(l1Before + 1);
      expect(onB.loads).toBe(4);
    });

    it('checks the tags of a tagged L1 hit without a store read', async () => {
      database.set(1, { id: 1, name: 'Kettle', parts: [] });
      const { b } = await twoServers();
      const onB = b.get(Catalog);
      await onB.find(1);
      const before = tierHits(b);
      for (let i = 0; i < 3; i++) await onB.find(1);
      expect(tierHits(b)).toEqual({ l1: before.l1 + 3, l2: before.l2 });
    });

    it('hands every caller its own copy of an L1 entry, which it may mutate freely', async () => {
      database.set(1, { id: 1, name: 'Kettle', parts: ['lid'] });
      const { b } = await twoServers();
      const onB = b.get(Catalog);
      const first = (await onB.find(1))!;
      const second = (await onB.find(1))!;
      second.parts.push('spout');
      second.name = 'changed';
      const third = (await onB.find(1))!;
      expect(third).toEqual({ id: 1, name: 'Kettle', parts: ['lid'] });
      expect(third).not.toBe(second);
      expect(first).not.toBe(second);
    });

    it('runs the loader once for concurrent cold calls on each server, and each caller gets its own copy', async () => {
      database.set(1, { id: 1, name: 'Kettle', parts: ['lid'] });
      const { a, b } = await twoServers();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).get(Catalog).find(1)),
      );
      expect(a.get(Catalog).loads + b.get(Catalog).loads).toBeLessThanOrEqual(2);
      expect(new Set(results).size).toBe(results.length);
      for (const result of results) expect(result).toEqual(database.get(1));
    });

    it('keeps an entry in L1 no longer than its own TTL in the store, whoever wrote it', async () => {
      const { a, b } = await twoServers();
      await a.client.set('short', 'v', '600ms');
      expect(await b.client.get('short')).toBe('v');
      expect(await a.client.get('short')).toBe('v');
      await eventually(async () => (await b.client.get('short')) === undefined, 3000);
      expect(await a.client.get('short')).toBeUndefined();
    });

    it('keeps an entry in L1 no longer than l1.ttl, then reads the store again', async () => {
      const { a } = await twoServers({ l1: { ttl: '300ms' } });
      await a.client.set('long', 'v', '1h');
      expect(await a.client.get('long')).toBe('v');
      expect(tierHits(a)).toEqual({ l1: 1, l2: 0 });
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await a.client.get('long')).toBe('v');
      expect(tierHits(a)).toEqual({ l1: 1, l2: 1 });
    });

    it('holds at most l1.maxEntries entries, the least recently used going first', async () => {
      const { a } = await twoServers({ l1: { maxEntries: 2 } });
      for (const key of ['x', 'y', 'z']) await a.client.set(key, key);
      expect(a.client.stats().l1?.entries).toBe(2);
      expect(await a.client.get('x')).toBe('x');
      expect(tierHits(a)).toEqual({ l1: 0, l2: 1 });
    });

    it('counts the bus messages sent and received, and ignores its own', async () => {
      const { a, b } = await twoServers();
      const heard = busReceived(b);
      await a.client.set('k', 1);
      await a.client.delete('k');
      await busDelivered(b, heard + 2);
      const busOfA = a.client.stats().bus!;
      expect(busOfA).toMatchObject({ up: true, lost: 0, queued: 0 });
      expect(busOfA.sent).toBeGreaterThanOrEqual(2);
      await eventually(() => a.client.stats().bus!.ignoredOwn >= 2);
      expect(a.client.stats().bus!.received).toBe(0);
    });
  });
}
