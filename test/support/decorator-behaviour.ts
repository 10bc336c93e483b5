import { isObservable, lastValueFrom, toArray } from 'rxjs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  freshPrefix,
  patient,
  startCacheApp,
  type BackendFixture,
  type BackendSpec,
  type CacheApp,
} from './cache-app.js';
import { PolicyService, ProductService, SyncService } from './decorated-services.js';

/** Every decorator behaviour of the contract, run against one real backend. */
export function describeDecorators(spec: BackendSpec) {
  describe('decorators', () => describeDecoratorCases(spec));
}

function describeDecoratorCases(spec: BackendSpec) {
  let backend: BackendFixture;
  let app: CacheApp;
  let products: ProductService;
  let policy: PolicyService;
  const extraApps: CacheApp[] = [];

  beforeAll(async () => {
    backend = await spec.setup();
  });
  beforeEach(async () => {
    app = await startCacheApp(patient(backend.options(freshPrefix())), [
      ProductService,
      PolicyService,
    ]);
    products = app.get(ProductService);
    policy = app.get(PolicyService);
  });
  afterEach(async () => {
    await Promise.all([app, ...extraApps.splice(0)].map((a) => a.close()));
  });
  afterAll(async () => backend?.teardown());

  describe('@Cacheable', () => {
    it('runs the method once and then answers from the cache', async () => {
      expect(await products.findOne(1)).toEqual({ id: 1, name: 'Kettle' });
      expect(await products.findOne(1)).toEqual({ id: 1, name: 'Kettle' });
      expect(products.calls.count('findOne')).toBe(1);
      expect(await app.client.get('product:1')).toEqual({ id: 1, name: 'Kettle' });
    });

    it('caches a null result (negative caching)', async () => {
      expect(await products.findOne(404)).toBeNull();
      expect(await products.findOne(404)).toBeNull();
      expect(products.calls.count('findOne')).toBe(1);
    });

    it('builds a default key from the class, the method and the arguments, ignoring key order', async () => {
      await products.search({ name: 'tea', limit: 5 });
      await products.search({ limit: 5, name: 'tea' });
      expect(products.calls.count('search')).toBe(1);
      await products.search({ name: 'tea', limit: 6 });
      expect(products.calls.count('search')).toBe(2);
    });

    it('intercepts this.method() calls inside the same class', async () => {
      await products.describeProduct(2);
      expect(await products.describeProduct(2)).toBe('#2: Teapot');
      expect(products.calls.count('findOne')).toBe(1);
    });

    it('bypasses the cache when condition is false', async () => {
      await policy.conditional(-1);
      await policy.conditional(-1);
      expect(policy.calls.count('conditional')).toBe(2);
      expect(await app.client.has('cond:-1')).toBe(false);
      await policy.conditional(3);
      await policy.conditional(3);
      expect(policy.calls.count('conditional')).toBe(3);
    });

    it('does not store a result when unless says so, and still returns it', async () => {
      expect(await policy.unlessNegative(-5)).toBe(-5);
      expect(await policy.unlessNegative(-5)).toBe(-5);
      expect(policy.calls.count('unlessNegative')).toBe(2);
      await policy.unlessNegative(5);
      await policy.unlessNegative(5);
      expect(policy.calls.count('unlessNegative')).toBe(3);
    });

    it('never caches a rejected call', async () => {
      await expect(policy.flaky()).rejects.toThrow('first call fails');
      expect(await app.client.has('flaky')).toBe(false);
      expect(await policy.flaky()).toBe('ok');
      expect(await policy.flaky()).toBe('ok');
      expect(policy.calls.count('flaky')).toBe(2);
    });

    it('lets a synchronous throw reach the caller and caches nothing', async () => {
      const call = async () => policy.throwsSync();
      await expect(call()).rejects.toThrow('sync failure');
      await expect(call()).rejects.toThrow('sync failure');
      expect(policy.calls.count('throwsSync')).toBe(2);
    });

    if (spec.name === 'memory') {
      it('caches a synchronous method and keeps it synchronous', async () => {
        const sync = await startCacheApp({}, [SyncService]);
        extraApps.push(sync);
        const service = sync.get(SyncService);
        expect(service.square(4)).toBe(16);
        expect(service.square(4)).toBe(16);
        expect(service.calls.count('square')).toBe(1);
      });
    } else {
      it('refuses to start with a synchronous cached method, naming it and the fix', async () => {
        await expect(
          startCacheApp(patient(backend.options(freshPrefix())), [SyncService]),
        ).rejects.toThrow(
          /SyncService\.square.*make SyncService\.square async or declare it to return a Promise/,
        );
      });
    }

    it('caches the last value of an Observable method and replays it as an Observable', async () => {
      const first = policy.stream(1);
      expect(isObservable(first)).toBe(true);
      expect(await lastValueFrom(first.pipe(toArray()))).toEqual([1, 2, 3]);
      const second = policy.stream(1);
      expect(isObservable(second)).toBe(true);
      expect(await lastValueFrom(second)).toBe(3);
      expect(policy.calls.count('stream')).toBe(1);
    });

    it('returns the method result when it cannot be serialized', async () => {
      const value = await policy.circular();
      expect(value.self).toBe(value);
      await policy.circular();
      expect(policy.calls.count('circular')).toBe(2);
    });

    it('returns the method result when the key function throws', async () => {
      expect(await policy.badKey()).toBe('still returned');
      expect(app.client.stats().errors).toBeGreaterThan(0);
    });

    it('runs the method once for concurrent cold calls', async () => {
      const results = await Promise.all(Array.from({ length: 100 }, () => policy.slow()));
      expect(new Set(results)).toEqual(new Set(['slow result']));
      expect(policy.calls.count('slow')).toBe(1);
    });
  });

  describe('@CacheEvict', () => {
    it('deletes the key after the method succeeds', async () => {
      await products.findOne(1);
      await products.rename(1, 'Big kettle');
      expect(await products.findOne(1)).toEqual({ id: 1, name: 'Big kettle' });
      expect(products.calls.count('findOne')).toBe(2);
    });

    it('does not evict when the method throws', async () => {
      await products.findOne(1);
      await expect(products.failingUpdate(1)).rejects.toThrow('update failed');
      expect(await app.client.has('product:1')).toBe(true);
    });

    it('evicts before the method runs with beforeInvocation, even when it throws', async () => {
      await products.findOne(1);
      await expect(products.failingUpdateEvictFirst(1)).rejects.toThrow('update failed');
      expect(await app.client.has('product:1')).toBe(false);
    });

    it('deletes several keys', async () => {
      await products.findOne(1);
      await products.findOne(2);
      await products.swap(1, 2);
      expect(await app.client.getMany(['product:1', 'product:2'])).toEqual([undefined, undefined]);
    });

    it('invalidates tags', async () => {
      await products.findAll();
      await products.findOne(1);
      await products.create({ id: 3, name: 'Mug' });
      expect(await products.findAll()).toHaveLength(3);
      expect(products.calls.count('findAll')).toBe(2);
      await products.findOne(1);
      expect(products.calls.count('findOne')).toBe(2);
    });

    it('drops every entry of the module namespace with allEntries, and nothing else', async () => {
      const neighbour = await startCacheApp(patient(backend.options(freshPrefix())));
      extraApps.push(neighbour);
      await neighbour.client.set('product:1', 'neighbour');
      await products.findOne(1);
      await app.client.set('other', 1);
      await products.reset();
      expect(await app.client.getMany(['product:1', 'other'])).toEqual([undefined, undefined]);
      expect(await neighbour.client.get('product:1')).toBe('neighbour');
    });
  });

  describe('@CachePut', () => {
    it('always runs the method and stores the result for readers of the key', async () => {
      await products.findOne(1);
      await products.save(1, 'Steel kettle');
      await products.save(1, 'Steel kettle');
      expect(products.calls.count('save')).toBe(2);
      expect(await products.findOne(1)).toEqual({ id: 1, name: 'Steel kettle' });
      expect(products.calls.count('findOne')).toBe(1);
    });
  });

  describe('isolation', () => {
    it('two apps in one process each use their own client', async () => {
      const second = await startCacheApp({ store: 'memory' }, [ProductService]);
      extraApps.push(second);
      const otherProducts = second.get(ProductService);
      await products.findOne(1);
      await otherProducts.findOne(1);
      expect(await second.client.get('product:1')).toEqual({ id: 1, name: 'Kettle' });
      expect(otherProducts.calls.count('findOne')).toBe(1);
      expect(products.calls.count('findOne')).toBe(1);
      await second.client.delete('product:1');
      expect(await app.client.has('product:1')).toBe(true);
    });
  });
}
