import { Injectable, Logger } from '@nestjs/common';
import { Observable } from 'rxjs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Cacheable, CachePut, type CacheModuleOptions } from '../../lib/index.js';
import {
  freshPrefix,
  patient,
  startCacheApp,
  type BackendFixture,
  type BackendSpec,
  type CacheApp,
} from './cache-app.js';

/** A value whose every property read throws, as a hostile or broken library may hand one out. */
export function throwingProxy(): object {
  return new Proxy(
    {},
    {
      get() {
        throw new Error('no property may be read');
      },
    },
  );
}

/** Synchronous methods: cached on the memory store only (refused at startup on the others). */
@Injectable()
export class SyncProxies {
  calls = 0;
  /** What the last call returned. */
  last: unknown;

  @Cacheable({ key: 'hostile:proxy' })
  proxy(): unknown {
    this.calls++;
    return (this.last = throwingProxy());
  }

  @CachePut({ key: 'hostile:put' })
  putProxy(): unknown {
    this.calls++;
    return (this.last = throwingProxy());
  }
}

@Injectable()
export class HostileResults {
  calls = 0;
  /** What the last call emitted. */
  last: unknown;

  @Cacheable({ key: 'hostile:observed' })
  observed(): Observable<unknown> {
    this.calls++;
    const proxy = (this.last = throwingProxy());
    // Not `of(proxy)`: rxjs reads a property of its last argument.
    return new Observable((subscriber) => {
      subscriber.next(proxy);
      subscriber.complete();
    });
  }

  @Cacheable({ key: 'hostile:big' })
  async big(): Promise<string> {
    this.calls++;
    return 'x'.repeat(2 * 1024 * 1024);
  }
}

/** The seven findings of issue 12 and the hostile-input cases, run against one real backend. */
export function describeHostileInput(spec: BackendSpec) {
  describe('hostile input', () => {
    let backend: BackendFixture;
    let app: CacheApp;
    const apps: CacheApp[] = [];
    const open = async (options: Partial<CacheModuleOptions> = {}) => {
      const started = await startCacheApp(
        patient({ ...backend.options(freshPrefix()), ...options }),
        spec.name === 'memory' ? [HostileResults, SyncProxies] : [HostileResults],
      );
      apps.push(started);
      return started;
    };
    const client = () => app.client;
    const errors = () => app.client.stats().errors;

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

    describe('the findings of issue 12', () => {
      it('1: keeps a tag named __proto__ (or constructor) like any other tag', async () => {
        for (const tag of ['__proto__', 'constructor', 'hasOwnProperty']) {
          const key = `e:${tag}`;
          expect(await client().set(key, 1, { tags: [tag, 'plain'] })).toBe(true);
          expect(await client().get(key)).toBe(1);
          expect(await client().invalidateTags([tag])).toBe(true);
          expect(await client().get(key)).toBeUndefined();
        }
        expect(errors()).toBe(0);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(Object.getPrototypeOf({})).toBe(Object.prototype);
      });

      it('2: never lets a user key address a tag version or a lock', async () => {
        expect(await client().set('tagged', 1, { tags: ['t'] })).toBe(true);
        expect(await client().set('__tag__:t', 'mine')).toBe(true);
        expect(await client().set('__lock__:k', 'mine too')).toBe(true);
        expect(await client().get('tagged')).toBe(1);
        expect(await client().getOrSet('k', () => 'loaded', { lock: 'distributed' })).toBe(
          'loaded',
        );
        expect(await client().invalidateTags(['t'])).toBe(true);
        expect(await client().get('tagged')).toBeUndefined();
        expect(await client().getMany(['__tag__:t', '__lock__:k'])).toEqual(['mine', 'mine too']);
      });

      it('2: keeps apart user keys that differ only in their leading underscores', async () => {
        const keys = ['tag__:t', '_tag__:t', '__tag__:t', '___tag__:t', '__', '_', '___'];
        await client().setMany(keys.map((key, i) => ({ key, value: i })));
        expect(await client().getMany(keys)).toEqual(keys.map((_, i) => i));
        expect(await client().delete('__tag__:t')).toBe(true);
        expect(await client().getMany(keys)).toEqual([0, 1, undefined, 3, 4, 5, 6]);
      });

      it('3: keeps apart keys that differ only in a lone UTF-16 surrogate', async () => {
        const keys = ['k\uD800', 'k\uDBFF', 'k\uDC00', 'k\uFFFD', 'k\uD83D\uDE00', 'k'];
        for (const [i, key] of keys.entries()) expect(await client().set(key, i)).toBe(true);
        for (const [i, key] of keys.entries()) expect(await client().get(key)).toBe(i);
        expect(await client().getMany(keys)).toEqual(keys.map((_, i) => i));
        expect(await client().delete('k\uD800')).toBe(true);
        expect(await client().getMany(keys)).toEqual([undefined, 1, 2, 3, 4, 5]);
      });

      it('4: keeps an entry with 10,000 tags, and the entries written before it', async () => {
        const keys = Array.from({ length: 100 }, (_, i) => `before:${i}`);
        await client().setMany(keys.map((key, i) => ({ key, value: i })));
        const tags = Array.from({ length: 10_000 }, (_, i) => `tag:${i}`);
        expect(await client().set('many-tags', 'v', { tags })).toBe(true);
        expect(await client().get('many-tags')).toBe('v');
        expect(await client().getMany(keys)).toEqual(keys.map((_, i) => i));
        expect(await client().invalidateTags(['tag:9999'])).toBe(true);
        expect(await client().get('many-tags')).toBeUndefined();
      });

      it('5: does not store a value over maxValueSize, removes the old one, and goes on writing', async () => {
        const warn = vi.spyOn(Logger.prototype, 'warn');
        const big = 'x'.repeat(2 * 1024 * 1024);
        expect(await client().set('big', 'old')).toBe(true);
        expect(await client().set('big', big)).toBe(false);
        expect(errors()).toBe(1);
        expect(await client().get('big')).toBeUndefined();
        expect(await client().set('next', 'small')).toBe(true);
        expect(await client().get('next')).toBe('small');
        const results = app.get(HostileResults);
        expect(await results.big()).toBe(big);
        expect(await results.big()).toBe(big);
        expect(results.calls).toBe(2);
        expect(errors()).toBe(3);
        const logged = warn.mock.calls.filter(([message]) => /maxValueSize/.test(String(message)));
        warn.mockRestore();
        expect(logged).toHaveLength(1);
      });

      it('5: takes maxValueSize from the module options', async () => {
        const small = await open({ maxValueSize: 1000 });
        expect(await small.client.set('fits', 'x'.repeat(500))).toBe(true);
        expect(await small.client.set('too-big', 'x'.repeat(1000))).toBe(false);
        expect(await small.client.getMany(['fits', 'too-big'])).toEqual([
          'x'.repeat(500),
          undefined,
        ]);
      });

      it('6: returns a method result that throws on property access, untouched', async () => {
        const observed = app.get(HostileResults);
        for (let call = 1; call <= 2; call++) {
          // Not `lastValueFrom`: resolving a promise with the value reads its `then`.
          const emitted: unknown[] = [];
          await new Promise<void>((done) =>
            observed.observed().subscribe({ next: (value) => emitted.push(value), complete: done }),
          );
          expect(emitted.length === 1 && emitted[0] === observed.last).toBe(true);
        }
        expect(observed.calls).toBe(2);
        expect(await client().has('hostile:observed')).toBe(false);
        if (spec.name !== 'memory') return;
        const results = app.get(SyncProxies);
        // Compared with ===: the matchers would read properties of a value that throws on it.
        expect(results.proxy() === results.last).toBe(true);
        expect(results.proxy() === results.last).toBe(true);
        expect(results.calls).toBe(2);
        expect(results.putProxy() === results.last).toBe(true);
        expect(await client().has('hostile:proxy')).toBe(false);
        expect(await client().has('hostile:put')).toBe(false);
      });

      it('7: never hands out an own __proto__ key read back from the store', async () => {
        const payloads = [
          'J{"__proto__":{"polluted":true},"a":1}',
          'J{"a":1,"\\u005f_proto__":{"polluted":true}}',
          'X{"json":{"a":1,"__proto__":{"polluted":true}},"meta":{}}',
          'X{"json":{"a":1,"b":{"__proto__":{"polluted":true}}},"meta":{"b":{"__proto__":"Date"}}}',
        ];
        for (const [i, payload] of payloads.entries()) {
          await app.store.set(`p${i}`, payload);
          const hit = await client().get<Record<string, unknown>>(`p${i}`);
          if (hit !== undefined) {
            expect(hit.a).toBe(1);
            expect(Object.hasOwn(hit, '__proto__')).toBe(false);
            expect(Object.getPrototypeOf(Object.assign({}, hit))).toBe(Object.prototype);
          } else {
            expect(await app.store.get(`p${i}`)).toBeUndefined();
          }
        }
        const nested = 'J{"list":[{"__proto__":{"polluted":true}}]}';
        await app.store.set('nested', nested);
        const hit = await client().get<{ list: object[] }>('nested');
        expect(Object.hasOwn(hit!.list[0], '__proto__')).toBe(false);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      });
    });
  });
}
