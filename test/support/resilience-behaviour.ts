import { Injectable } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  Cacheable,
  CacheLoaderTimeoutError,
  type CacheModuleOptions,
  type GetOrSetOptions,
} from '../../lib/index.js';
import {
  freshPrefix,
  patient,
  startCacheApp,
  type BackendFixture,
  type BackendSpec,
  type CacheApp,
} from './cache-app.js';
import { eventually } from './store-contract.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A source the test can make slow or failing, counting its calls. */
class Source {
  calls = 0;
  version = 0;
  failing = false;
  delayMs = 0;

  async load(): Promise<string> {
    this.calls++;
    if (this.delayMs) await sleep(this.delayMs);
    if (this.failing) throw new Error('source down');
    return `v${++this.version}`;
  }

  /** The loader to hand to `getOrSet`. */
  readonly loader = () => this.load();
}

@Injectable()
class PriceService {
  readonly source = new Source();

  @Cacheable({ key: 'price', ttl: '300ms', grace: '1h', softTimeout: '100ms' })
  async price(): Promise<string> {
    return this.source.load();
  }
}

/**
 * Grace, loader timeouts, refresh ahead and the distributed lock, against one backend. Timings
 * are short (hundreds of milliseconds) and bounds generous: a bound the package promises (a
 * caller waits at most about `softTimeout` / `hardTimeout`) is asserted with room for a loaded
 * 2-core machine.
 */
export function describeResilience(spec: BackendSpec) {
  describe('resilience of loads', () => {
    let backend: BackendFixture;
    const apps: CacheApp[] = [];
    const open = async (options: Partial<CacheModuleOptions> = {}, keyPrefix = freshPrefix()) => {
      const app = await startCacheApp(patient({ ...backend.options(keyPrefix), ...options }), [
        PriceService,
      ]);
      apps.push(app);
      return app;
    };
    const getOrSet = (app: CacheApp, key: string, source: Source, options: GetOrSetOptions) =>
      app.client.getOrSet(key, source.loader, options);

    beforeAll(async () => {
      backend = await spec.setup();
    });
    afterEach(async () => {
      await Promise.all(apps.splice(0).map((app) => app.close()));
    });
    afterAll(async () => backend?.teardown());

    describe('grace', () => {
      it('serves the expired value when the loader fails within grace; without grace the error', async () => {
        const app = await open();
        const source = new Source();
        const options = { ttl: '200ms', grace: '1h' };
        expect(await getOrSet(app, 'g', source, options)).toBe('v1');
        await sleep(250);
        source.failing = true;
        expect(await getOrSet(app, 'g', source, options)).toBe('v1');
        expect(app.client.stats().staleHits).toBe(1);

        expect(await getOrSet(app, 'plain', source, { ttl: '200ms' }).catch(String)).toBe(
          'Error: source down',
        );
      });

      it('does not hand an expired entry to get(), even within grace', async () => {
        const app = await open();
        const source = new Source();
        await getOrSet(app, 'g', source, { ttl: '200ms', grace: '1h' });
        expect(await app.client.get('g')).toBe('v1');
        await sleep(250);
        expect(await app.client.get('g')).toBeUndefined();
        expect(await app.client.has('g')).toBe(false);
      });

      it('tries a failing loader again only once per graceRetry, serving the stale value meanwhile', async () => {
        const app = await open();
        const source = new Source();
        const options = { ttl: '100ms', grace: '1h', graceRetry: '400ms' };
        await getOrSet(app, 'g', source, options);
        await sleep(150);
        source.failing = true;
        for (let i = 0; i < 10; i++) expect(await getOrSet(app, 'g', source, options)).toBe('v1');
        expect(source.calls).toBe(2);
        await sleep(450);
        source.failing = false;
        expect(await getOrSet(app, 'g', source, options)).toBe('v2');
        expect(source.calls).toBe(3);
      });

      it('takes grace from the module options', async () => {
        const app = await open({ grace: '1h' });
        const source = new Source();
        await getOrSet(app, 'm', source, { ttl: '100ms' });
        await sleep(150);
        source.failing = true;
        expect(await getOrSet(app, 'm', source, { ttl: '100ms' })).toBe('v1');
      });

      it("takes a decorator's own grace and softTimeout: its method serves stale when the source fails or is slow", async () => {
        const app = await open();
        const prices = app.get(PriceService);
        expect(await prices.price()).toBe('v1');
        await sleep(350);
        prices.source.failing = true;
        expect(await prices.price()).toBe('v1');
        expect(prices.source.calls).toBe(2);
        expect(app.client.stats().staleHits).toBe(1);
      });

      it('refuses to start with a bad resilience option on a decorator, naming the method', async () => {
        @Injectable()
        class BadRefresh {
          @Cacheable({ key: 'k', refreshAhead: 2 })
          async value() {
            return 1;
          }
        }
        const started = startCacheApp(patient(backend.options(freshPrefix())), [BadRefresh]);
        await expect(started).rejects.toThrow(/refreshAhead of @Cacheable on BadRefresh\.value/);
      });

      it('lets the error through once the entry is past its grace too', async () => {
        const app = await open();
        const source = new Source();
        const options = { ttl: '100ms', grace: '100ms' };
        await getOrSet(app, 'g', source, options);
        await sleep(300);
        source.failing = true;
        await expect(getOrSet(app, 'g', source, options)).rejects.toThrow('source down');
      });
    });

    describe('loader timeouts', () => {
      it('softTimeout: with a stale value, the caller gets it in time and the load fills the cache later', async () => {
        const app = await open();
        const source = new Source();
        const options = { ttl: '100ms', grace: '1h', softTimeout: '50ms' };
        await getOrSet(app, 's', source, options);
        await sleep(150);
        source.delayMs = 400;
        const started = performance.now();
        expect(await getOrSet(app, 's', source, options)).toBe('v1');
        expect(performance.now() - started).toBeLessThan(350);
        expect(await getOrSet(app, 's', source, options)).toBe('v1');
        expect(source.calls).toBe(2);
        await eventually(async () => (await app.client.get('s')) === 'v2', 3000);
      });

      it('hardTimeout: without a stale value, CacheLoaderTimeoutError in time, and the load still fills the cache', async () => {
        const app = await open();
        const source = new Source();
        source.delayMs = 400;
        const started = performance.now();
        const error = await getOrSet(app, 'h', source, { hardTimeout: '50ms' }).catch((e) => e);
        expect(performance.now() - started).toBeLessThan(350);
        expect(error).toBeInstanceOf(CacheLoaderTimeoutError);
        expect(error).toMatchObject({ code: 'E_CACHE_LOADER_TIMEOUT', key: 'h', timeoutMs: 50 });
        // A caller arriving while that load goes on waits for it rather than starting another.
        expect(await getOrSet(app, 'h', source, { hardTimeout: '2s' })).toBe('v1');
        expect(source.calls).toBe(1);
        expect(await app.client.get('h')).toBe('v1');
      });

      it('waits for a slow loader as long as it takes when no timeout is set', async () => {
        const app = await open();
        const source = new Source();
        source.delayMs = 300;
        expect(await getOrSet(app, 'slow', source, { ttl: '1h' })).toBe('v1');
      });
    });

    describe('refresh ahead', () => {
      it('a hit late in the entry life refreshes it in the background, once, and the caller does not wait', async () => {
        const app = await open();
        const source = new Source();
        const options = { ttl: '400ms', refreshAhead: 0.5 };
        await getOrSet(app, 'r', source, options);
        await sleep(250);
        source.delayMs = 100;
        const started = performance.now();
        const hits = await Promise.all(
          Array.from({ length: 5 }, () => getOrSet(app, 'r', source, options)),
        );
        expect(performance.now() - started).toBeLessThan(80);
        expect(hits).toEqual(['v1', 'v1', 'v1', 'v1', 'v1']);
        await eventually(async () => (await app.client.get('r')) === 'v2', 2000);
        expect(source.calls).toBe(2);
        expect(app.client.stats().refreshes).toBe(1);
      });

      it('with refreshAhead: true, a key read steadily never expires and no caller waits for the loader', async () => {
        const app = await open();
        const source = new Source();
        // Probabilistic refresh starts a few load times before expiry (about ln(reads per load
        // time) of them), so the margin scales with the load time: a 150 ms load starts it about
        // 600 ms ahead, well above a busy machine's scheduling delays.
        source.delayMs = 150;
        const options = { ttl: '1500ms', refreshAhead: true };
        await getOrSet(app, 'x', source, options);
        const missesBefore = app.client.stats().misses;
        let slowest = 0;
        const until = Date.now() + 2500;
        while (Date.now() < until) {
          const started = performance.now();
          await getOrSet(app, 'x', source, options);
          slowest = Math.max(slowest, performance.now() - started);
          await sleep(2);
        }
        expect(source.calls).toBeGreaterThanOrEqual(3);
        expect(app.client.stats().misses).toBe(missesBefore);
        expect(slowest).toBeLessThan(source.delayMs + 200);
      });
    });

    const itWhenShared = spec.shared ? it : () => undefined;
    describe("lock: 'distributed'", () => {
      itWhenShared(
        'runs the loader once across two app servers for concurrent misses',
        async () => {
          const keyPrefix = freshPrefix();
          const [a, b] = [await open({}, keyPrefix), await open({}, keyPrefix)];
          const source = new Source();
          source.delayMs = 100;
          const options = { ttl: '1h', lock: 'distributed' as const };
          const results = await Promise.all(
            Array.from({ length: 20 }, (_, i) => getOrSet(i % 2 ? a : b, 'cold', source, options)),
          );
          expect(source.calls).toBe(1);
          expect(new Set(results)).toEqual(new Set(['v1']));
        },
      );

      itWhenShared(
        "takes over at once when the holder's loader fails, not after the lease",
        async () => {
          const keyPrefix = freshPrefix();
          const [a, b] = [await open({}, keyPrefix), await open({}, keyPrefix)];
          const [failing, working] = [new Source(), new Source()];
          failing.failing = true;
          failing.delayMs = 100;
          const options = { ttl: '1h', lock: 'distributed' as const };
          const onA = getOrSet(a, 'flaky', failing, options).catch(String);
          await sleep(30);
          const started = performance.now();
          expect(await getOrSet(b, 'flaky', working, options)).toBe('v1');
          // The default lease is 5 s: B did not wait for it.
          expect(performance.now() - started).toBeLessThan(2000);
          expect(await onA).toBe('Error: source down');
          expect([failing.calls, working.calls]).toEqual([1, 1]);
        },
      );

      itWhenShared('loads after a bounded wait when the lock holder never writes', async () => {
        const keyPrefix = freshPrefix();
        const app = await open({}, keyPrefix);
        // Another app server took the lock and died: its lease runs out.
        await app.store.add!('__lock__:orphan', 'someone-else', 300);
        const source = new Source();
        const started = performance.now();
        const options = { lock: 'distributed' as const, hardTimeout: '300ms' };
        expect(await getOrSet(app, 'orphan', source, options).catch(String)).toMatch(
          /v1|LoaderTimeout/,
        );
        expect(performance.now() - started).toBeLessThan(1000);
        await eventually(async () => (await app.client.get('orphan')) === 'v1', 2000);
        expect(source.calls).toBe(1);
      });

      it('on one process, concurrent misses still run the loader once', async () => {
        const app = await open({ lock: 'distributed' });
        const source = new Source();
        source.delayMs = 50;
        await Promise.all(
          Array.from({ length: 10 }, () => getOrSet(app, 'one', source, { ttl: '1h' })),
        );
        expect(source.calls).toBe(1);
      });
    });
  });
}
