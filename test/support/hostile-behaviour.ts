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
        // The line says what to change, not only what happened.
        expect(String(logged[0][0])).toMatch(/turn on compression, or raise maxValueSize/);
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

      it('7: drops own __proto__ keys from what a custom serializer (plain JSON.parse) decodes too', async () => {
        const naive = await open({
          serializer: { serialize: (value) => JSON.stringify(value), deserialize: JSON.parse },
        });
        await naive.store.set('top', 'J{"__proto__":{"polluted":true},"a":1}');
        await naive.store.set('deep', 'J{"list":[{"m":{"__proto__":{"polluted":true}}}]}');
        const top = await naive.client.get<Record<string, unknown>>('top');
        expect(top).toEqual({ a: 1 });
        expect(Object.hasOwn(top!, '__proto__')).toBe(false);
        expect(Object.getPrototypeOf(Object.assign({}, top))).toBe(Object.prototype);
        const [deep] = await naive.client.getMany<{ list: { m: object }[] }>(['deep']);
        expect(Object.hasOwn(deep!.list[0].m, '__proto__')).toBe(false);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(naive.client.stats().errors).toBe(0);
      });
    });

    describe('keys', () => {
      it('refuses an empty key or tag with E_CACHE_INVALID_KEY, and stores nothing', async () => {
        const invalidKey = { code: 'E_CACHE_INVALID_KEY' };
        await expect(client().set('', 1)).rejects.toMatchObject(invalidKey);
        await expect(client().get('')).rejects.toMatchObject(invalidKey);
        await expect(client().delete('')).rejects.toMatchObject(invalidKey);
        await expect(client().getMany(['a', ''])).rejects.toMatchObject(invalidKey);
        await expect(client().getOrSet('', () => 1)).rejects.toMatchObject(invalidKey);
        await expect(client().set('k', 1, { tags: [''] })).rejects.toMatchObject(invalidKey);
        await expect(client().invalidateTags([''])).rejects.toMatchObject(invalidKey);
        expect(await client().has('k')).toBe(false);
      });

      it('keeps every odd key apart: 1 MB long, control characters, CR LF, NUL, __proto__, constructor', async () => {
        const keys = [
          'k'.repeat(1024 * 1024),
          'k'.repeat(1024 * 1024 - 1) + 'j',
          'tab\there',
          'line\r\nbreak',
          'line\nbreak',
          'nul\u0000byte',
          'nul',
          '\u0001\u001f\u007f',
          'with space',
          '__proto__',
          'constructor',
          'toString',
          '#hash',
          '%2F',
        ];
        const entries = keys.map((key, i) => ({ key, value: { i } }));
        expect(await client().setMany(entries)).toBe(true);
        expect(await client().getMany(keys)).toEqual(keys.map((_, i) => ({ i })));
        for (const [i, key] of keys.entries()) {
          expect(await client().getOrSet(key, () => ({ i: -1 }))).toEqual({ i });
        }
        expect(await client().deleteMany(keys.slice(0, 2))).toBe(2);
        expect(await client().getMany(keys.slice(0, 3))).toEqual([undefined, undefined, { i: 2 }]);
        expect(errors()).toBe(0);
        expect(({} as Record<string, unknown>).i).toBeUndefined();
      });
    });

    describe('values', () => {
      /** The call answers `false`, the value is not stored, one failure is counted. */
      async function refused(key: string, value: unknown) {
        const before = errors();
        expect(await client().set(key, value)).toBe(false);
        expect(await client().has(key)).toBe(false);
        expect(errors()).toBe(before + 1);
        expect(await client().getOrSet(key, () => value)).toBe(value);
        expect(await client().has(key)).toBe(false);
      }

      beforeEach(async () => {
        await client().set('bystander', 'kept');
      });
      afterEach(async () => {
        expect(await client().get('bystander')).toBe('kept');
      });

      it('does not store a circular value', async () => {
        const circular: Record<string, unknown> = { a: 1 };
        circular.self = circular;
        await refused('circular', circular);
      });

      it('does not store a value nested 100,000 levels deep, and no stack overflow reaches the caller', async () => {
        let deep: unknown = 'leaf';
        for (let i = 0; i < 100_000; i++) deep = { d: deep };
        await refused('deep', deep);
      });

      it('does not store a 50 MB value (over maxValueSize)', async () => {
        await refused('huge', 'x'.repeat(50 * 1024 * 1024));
      });

      it('does not store a value whose toJSON or getter throws, nor a Proxy that throws', async () => {
        await refused('to-json', {
          toJSON: () => {
            throw new Error('no JSON');
          },
        });
        await refused('getter', {
          get broken() {
            throw new Error('no value');
          },
        });
        await refused('proxy', { inside: throwingProxy() });
      });

      it('stores a sparse array as an array of the same length with undefined in its holes', async () => {
        // eslint-disable-next-line no-sparse-arrays
        expect(await client().set('sparse', [1, , 3])).toBe(true);
        const hit = await client().get<unknown[]>('sparse');
        expect(hit).toHaveLength(3);
        expect(hit).toEqual([1, undefined, 3]);
      });

      it('stores what a harmless Proxy shows of its target', async () => {
        expect(await client().set('benign', new Proxy({ a: 1, list: [2] }, {}))).toBe(true);
        expect(await client().get('benign')).toEqual({ a: 1, list: [2] });
      });
    });

    describe('entries read back', () => {
      /** Written by someone else straight into the store: read back as a miss, and removed. */
      async function unreadable(key: string, text: string) {
        await app.store.set(key, text);
        const before = errors();
        expect(await client().get(key)).toBeUndefined();
        expect(errors()).toBe(before + 1);
        expect(await app.store.get(key)).toBeUndefined();
        expect(await client().getOrSet(key, () => 'loaded')).toBe('loaded');
      }

      it('misses and removes random bytes, a truncated entry, and JSON of the wrong shape', async () => {
        await unreadable('random', '\u0007\u00ff\u1234 garbage \ud83d\ude00');
        await unreadable('truncated', 'J{"a":[1,2');
        await unreadable('truncated-stamp', 'E1');
        await unreadable('truncated-tags', 'T{"t":"v"}');
        await unreadable('no-mark', '{"a":1}');
        await unreadable('extended-without-meta', 'X{"json":1}');
        await unreadable('bad-annotation', 'X{"json":"x","meta":"Nope"}');
        await unreadable('bad-stamp', 'Ezzzzzzzzzzzzzzzzzzz\nJ1');
        await unreadable('stamp-with-more-fields', 'E1,2,3,4,5\nJ1');
        await unreadable('stamp-on-stamp', 'E1\nE1\nJ1');
      });

      it('reads entries written by an older format: no stamp, or a stamp with its first field only', async () => {
        const later = (Date.now() + 60_000).toString(36);
        await app.store.set('unstamped', 'J{"a":1}');
        await app.store.set('short-stamp', `E${later}\nJ{"a":2}`);
        expect(await client().get('unstamped')).toEqual({ a: 1 });
        expect(await client().get('short-stamp')).toEqual({ a: 2 });
        expect(errors()).toBe(0);
      });

      it('hands out no prototype payload, and Object.prototype stays clean', async () => {
        const payloads = [
          'J{"__proto__":{"polluted":true}}',
          'J{"constructor":{"prototype":{"polluted":true}}}',
          'X{"json":{"constructor":{"prototype":{"polluted":"1"}}},"meta":{"constructor":{"prototype":{"polluted":"bigint"}}}}',
          'T{"__proto__":"v"}\nJ{"__proto__":{"polluted":true}}',
        ];
        for (const [i, payload] of payloads.entries()) {
          await app.store.set(`payload${i}`, payload);
          const hit = await client().get<Record<string, unknown>>(`payload${i}`);
          if (hit !== undefined) {
            expect(Object.hasOwn(hit, '__proto__')).toBe(false);
            const merged = Object.assign({}, hit) as Record<string, unknown>;
            expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
          }
        }
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(Object.prototype).not.toHaveProperty('polluted');
      });
    });
  });
}
