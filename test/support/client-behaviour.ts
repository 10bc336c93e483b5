import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CacheTtlError, type CacheModuleOptions } from '../../lib/index.js';
import {
  freshPrefix,
  patient,
  startCacheApp,
  type BackendFixture,
  type BackendSpec,
  type CacheApp,
} from './cache-app.js';
import { busDelivered } from './two-tier-apps.js';
import { eventually } from './store-contract.js';
import { describeFaithfulValues, User } from './value-behaviour.js';

/** Every CacheClient behaviour of the contract, run against one real backend. */
export function describeCacheClient(spec: BackendSpec) {
  describe('CacheClient', () => {
    let backend: BackendFixture;
    let app: CacheApp;
    const apps: CacheApp[] = [];
    const open = async (options: Partial<CacheModuleOptions> = {}) => {
      const started = await startCacheApp(
        patient({ ...backend.options(freshPrefix()), ...options }),
      );
      apps.push(started);
      return started;
    };

    beforeAll(async () => {
      backend = await spec.setup();
    });
    beforeEach(async () => {
      app = await open();
    });
    afterEach(async () => {
      await Promise.all(apps.splice(0).map((a) => a.close()));
    });
    afterAll(async () => backend?.teardown());

    it('answers undefined on a miss and the value after set', async () => {
      expect(await app.client.get('user:1')).toBeUndefined();
      expect(await app.client.set('user:1', { id: 1, name: 'Ada', roles: ['admin'] })).toBe(true);
      expect(await app.client.get('user:1')).toEqual({ id: 1, name: 'Ada', roles: ['admin'] });
    });

    it('stores null as a value and never stores undefined', async () => {
      expect(await app.client.set('nothing', null)).toBe(true);
      expect(await app.client.get('nothing')).toBeNull();
      expect(await app.client.has('nothing')).toBe(true);
      expect(await app.client.set('undef', undefined)).toBe(false);
      expect(await app.client.has('undef')).toBe(false);
    });

    it('expires an entry after a TTL in seconds or as a duration string', async () => {
      await app.client.set('seconds', 'v', 1);
      await app.client.set('duration', 'v', '500ms');
      await app.client.set('options', 'v', { ttl: '400ms' });
      await app.client.set('kept', 'v', '1h');
      await eventually(
        async () =>
          (await app.client.getMany(['seconds', 'duration', 'options'])).every(
            (v) => v === undefined,
          ),
        5000,
      );
      expect(await app.client.get('kept')).toBe('v');
    });

    it('applies the module default TTL', async () => {
      const short = await open({ ttl: '300ms' });
      await short.client.set('default-ttl', 'v');
      expect(await short.client.get('default-ttl')).toBe('v');
      await eventually(async () => (await short.client.get('default-ttl')) === undefined, 5000);
    });

    it('rejects a negative or unparseable TTL with an error naming it', async () => {
      await expect(app.client.set('k', 'v', -1)).rejects.toBeInstanceOf(CacheTtlError);
      await expect(app.client.set('k', 'v', '5 parsecs')).rejects.toThrow(
        /'5 parsecs'|"5 parsecs"/,
      );
      await expect(app.client.getOrSet('k', () => 1, { ttl: 'soon' })).rejects.toThrow(/TTL/);
    });

    it('deletes and answers whether the key existed; has() follows', async () => {
      await app.client.set('del', 1);
      expect(await app.client.has('del')).toBe(true);
      expect(await app.client.delete('del')).toBe(true);
      expect(await app.client.has('del')).toBe(false);
      expect(await app.client.delete('del')).toBe(false);
    });

    it('reads, writes and deletes many keys in key order', async () => {
      expect(
        await app.client.setMany([
          { key: 'a', value: 1 },
          { key: 'b', value: { two: 2 }, ttl: 60 },
        ]),
      ).toBe(true);
      expect(await app.client.getMany(['a', 'missing', 'b'])).toEqual([1, undefined, { two: 2 }]);
      expect(await app.client.deleteMany(['a', 'b', 'missing'])).toBe(2);
      expect(await app.client.getMany(['a', 'b'])).toEqual([undefined, undefined]);
    });

    it('does not let a caller that mutates a returned value change the cache', async () => {
      await app.client.set('mutable', { list: [1, 2], nested: { n: 1 } });
      const first = await app.client.get<{ list: number[]; nested: { n: number } }>('mutable');
      first!.list.push(3);
      first!.nested.n = 99;
      expect(await app.client.get('mutable')).toEqual({ list: [1, 2], nested: { n: 1 } });
      const original = { n: 1 };
      await app.client.set('after-set', original);
      original.n = 2;
      expect(await app.client.get('after-set')).toEqual({ n: 1 });
    });

    it('does not store a value that cannot be serialized, and counts it', async () => {
      const circular: Record<string, unknown> = { name: 'loop' };
      circular.self = circular;
      const before = app.client.stats().errors;
      expect(await app.client.set('circular', circular)).toBe(false);
      expect(await app.client.set('instance', { user: new User(1, 'Ada') })).toBe(false);
      expect(await app.client.set('fn', { run: () => 1 })).toBe(false);
      expect(await app.client.getMany(['circular', 'instance', 'fn'])).toEqual([
        undefined,
        undefined,
        undefined,
      ]);
      expect(app.client.stats().errors).toBe(before + 3);
    });

    it('treats an entry it cannot decode as a miss and removes it', async () => {
      await app.store.set('garbage', '\u0000\u00ffnot an entry');
      await app.store.set('bad-json', 'J{"unterminated');
      const before = app.client.stats().errors;
      expect(await app.client.get('garbage')).toBeUndefined();
      expect(await app.client.getOrSet('bad-json', () => 'fresh')).toBe('fresh');
      expect(await app.store.get('garbage')).toBeUndefined();
      expect(await app.client.get('bad-json')).toBe('fresh');
      expect(app.client.stats().errors).toBe(before + 2);
    });

    it('getOrSet calls the loader once for concurrent callers and stores the result', async () => {
      let calls = 0;
      const loader = async () => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 50));
        return { loaded: true };
      };
      const results = await Promise.all(
        Array.from({ length: 50 }, () => app.client.getOrSet('stampede', loader, 60)),
      );
      expect(calls).toBe(1);
      expect(results.every((r) => r.loaded)).toBe(true);
      expect(await app.client.get('stampede')).toEqual({ loaded: true });
      expect(await app.client.getOrSet('stampede', loader)).toEqual({ loaded: true });
      expect(calls).toBe(1);
    });

    it('getOrSet gives every waiting caller the loader error and stores nothing', async () => {
      let calls = 0;
      const failing = async () => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error('db down');
      };
      const outcomes = await Promise.allSettled(
        Array.from({ length: 5 }, () => app.client.getOrSet('failing', failing)),
      );
      expect(
        outcomes.every((o) => o.status === 'rejected' && (o.reason as Error).message === 'db down'),
      ).toBe(true);
      expect(calls).toBe(1);
      expect(await app.client.has('failing')).toBe(false);
      expect(await app.client.getOrSet('failing', () => 'recovered')).toBe('recovered');
    });

    it('invalidates tagged entries and keeps the others', async () => {
      await app.client.set('p:1', 'one', { tags: ['products', 'p:1'] });
      await app.client.set('p:2', 'two', { tags: ['products'] });
      await app.client.set('u:1', 'user', { tags: ['users'] });
      expect(await app.client.getOrSet('p:3', () => 'three', { tags: ['products'] })).toBe('three');
      expect(await app.client.invalidateTags(['products'])).toBe(true);
      expect(await app.client.getMany(['p:1', 'p:2', 'p:3', 'u:1'])).toEqual([
        undefined,
        undefined,
        undefined,
        'user',
      ]);
      await app.client.set('p:1', 'again', { tags: ['products'] });
      expect(await app.client.get('p:1')).toBe('again');
    });

    const itWhenShared = spec.shared ? it : () => undefined;
    itWhenShared('shows a tag invalidation made by one app server to another at once', async () => {
      const prefix = freshPrefix();
      const serverA = await startCacheApp(patient(backend.options(prefix)));
      const serverB = await startCacheApp(patient(backend.options(prefix)));
      apps.push(serverA, serverB);
      await serverA.client.set('shared', 'v1', { tags: ['t'] });
      expect(await serverB.client.get('shared')).toBe('v1');
      await serverB.client.invalidateTags(['t']);
      if (spec.l1) await busDelivered(serverA, 1);
      expect(await serverA.client.get('shared')).toBeUndefined();
    });

    it('clear() removes only its own keyPrefix', async () => {
      const other = await open();
      await app.client.setMany([
        { key: 'x', value: 1 },
        { key: 'y', value: 2 },
      ]);
      await other.client.set('x', 'other');
      expect(await app.client.clear()).toBe(true);
      expect(await app.client.getMany(['x', 'y'])).toEqual([undefined, undefined]);
      expect(await other.client.get('x')).toBe('other');
    });

    it('counts hits, misses, sets and deletes in stats()', async () => {
      await app.client.get('s');
      await app.client.set('s', 1);
      await app.client.get('s');
      await app.client.delete('s');
      expect(app.client.stats()).toMatchObject({
        hits: 1,
        misses: 1,
        sets: 1,
        deletes: 1,
        hitRate: 0.5,
      });
      expect(app.client.stats().store).toBe(spec.name);
    });

    describeFaithfulValues({ app: () => app, open }, spec.name === 'memory' || spec.l1 === true);
  });
}
