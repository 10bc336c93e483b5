import { describe, expect, it } from 'vitest';
import type { CacheModuleOptions } from '../../lib/index.js';
import type { CacheApp } from './cache-app.js';

/** A class as an ORM or a DTO library hands one out: a constructor with effects, a method. */
export class User {
  static constructed = 0;
  constructor(
    public id: number,
    public name: string,
    public joined = new Date(0),
  ) {
    User.constructed++;
  }

  greet(): string {
    return `Hello, ${this.name}`;
  }
}

/** Every type the default serializer keeps, nested in one another. */
export function everyType() {
  return {
    at: new Date('2026-01-02T03:04:05.678Z'),
    invalidDate: new Date(NaN),
    roles: new Set(['admin', 'reader']),
    scores: new Map<unknown, unknown>([
      ['math', [1, 2.5]],
      [7, new Set([new Date(5)])],
    ]),
    big: 2n ** 70n,
    numbers: [NaN, Infinity, -Infinity, -0, 0, 1.5],
    missing: undefined,
    sparse: [1, undefined, 3],
    pattern: /ca+t\/s/gi,
    buffer: Buffer.from('héllo'),
    bytes: new Uint8Array([0, 255, 7]),
    floats: new Float64Array([0.5, -1e300]),
    wide: new BigInt64Array([-(2n ** 63n)]),
    raw: new Uint16Array([1, 2]).buffer,
    view: new DataView(new Uint8Array([9, 8]).buffer),
    nested: { deeper: [{ when: new Date(1) }] },
  };
}

interface ValueContext {
  app(): CacheApp;
  open(options?: Partial<CacheModuleOptions>): Promise<CacheApp>;
}

/** Faithful values, copies and `clone: false`, on one backend (run inside `describeCacheClient`). */
/**
 * @param inProcess Whether hits are answered from decoded values held in this process (the memory
 *   store, or an L1 tier): there, `clone: false` hands out one frozen object, the same on every hit.
 */
export function describeFaithfulValues(context: ValueContext, inProcess: boolean) {
  const client = () => context.app().client;

  describe('faithful values', () => {
    it('answers a hit with the same types as the value stored', async () => {
      const value = everyType();
      expect(await client().set('every-type', value)).toBe(true);
      const hit = await client().get<ReturnType<typeof everyType>>('every-type');
      expect(hit).toStrictEqual(value);
      expect(Buffer.isBuffer(hit!.buffer)).toBe(true);
      expect(Object.is(hit!.numbers[3], -0)).toBe(true);
      expect('missing' in hit!).toBe(true);
      expect(await client().getOrSet('every-type', () => ({ other: true }))).toStrictEqual(value);
    });

    it('stores plain JSON data as plain JSON text, byte for byte', async () => {
      const value = { id: 1, name: 'Ada', tags: ['x'], nested: { ok: true, n: null } };
      await client().set('plain', value);
      expect(await context.app().store.get('plain')).toBe(`J${JSON.stringify(value)}`);
      await client().set('dated', { at: new Date(0) });
      expect(await context.app().store.get('dated')).toBe(
        'X{"json":{"at":"1970-01-01T00:00:00.000Z"},"meta":{"at":"Date"}}',
      );
    });

    it('does not store a class instance without type, and says which class and where', async () => {
      const before = client().stats().errors;
      expect(await client().set('instance', { owner: new User(1, 'Ada') })).toBe(false);
      expect(await client().has('instance')).toBe(false);
      const loaded = new User(2, 'Bob');
      expect(await client().getOrSet('loaded', () => loaded)).toBe(loaded);
      expect(await client().has('loaded')).toBe(false);
      expect(client().stats().errors).toBe(before + 2);
    });

    it('restores class instances with type, without running the constructor', async () => {
      const ada = new User(1, 'Ada', new Date(10));
      expect(await client().getOrSet('user:1', () => ada, { type: User })).toBe(ada);
      const constructed = User.constructed;
      const hit = await client().getOrSet('user:1', () => new User(0, 'none'), { type: User });
      expect(hit).toBeInstanceOf(User);
      expect(hit).toStrictEqual(ada);
      expect(hit.greet()).toBe('Hello, Ada');
      expect(hit.joined).toBeInstanceOf(Date);
      expect(User.constructed).toBe(constructed);
      expect(await client().get('user:1', { type: User })).toStrictEqual(ada);

      const list = [new User(1, 'Ada'), null, new User(2, 'Bob')];
      await client().set('users', list, { type: [User] });
      const users = await client().get<(User | null)[]>('users', { type: [User] });
      expect(users).toStrictEqual(list);
      expect(users![2]!.greet()).toBe('Hello, Bob');
    });

    it('gives each of 1,000 callers joining one load its own copy', async () => {
      let loads = 0;
      const load = async () => {
        loads++;
        await new Promise((resolve) => setTimeout(resolve, 100));
        return { at: new Date(0), list: [1, 2], tags: new Set(['a']) };
      };
      const results = await Promise.all(
        Array.from({ length: 1000 }, () => client().getOrSet('cold', load, 60)),
      );
      expect(loads).toBe(1);
      expect(new Set(results).size).toBe(1000);
      results[0].list.push(3);
      results[0].tags.add('b');
      results[0].at.setTime(99);
      const expected = { at: new Date(0), list: [1, 2], tags: new Set(['a']) };
      for (const result of results.slice(1)) expect(result).toStrictEqual(expected);
      results[500].list.length = 0;
      expect(results[1]).toStrictEqual(expected);
      expect(await client().get('cold')).toStrictEqual(expected);
    });

    it('gives joining callers their own copy of a value unless kept out of the cache', async () => {
      const loaded = { n: 1 };
      const load = async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return loaded;
      };
      const policy = { clone: true, ttl: 60 };
      const [first, second] = await Promise.all([
        client().getOrSet('joined', load, policy),
        client().getOrSet('joined', load, policy),
      ]);
      expect(first).toBe(loaded);
      expect(second).toStrictEqual(loaded);
      expect(second).not.toBe(loaded);
    });

    it('with clone: false, answers a deep-frozen value', async () => {
      await client().set('frozen', { list: [{ n: 1 }], big: 1n, missing: undefined });
      const hit = await client().get<{ list: { n: number }[] }>('frozen', { clone: false });
      expect(Object.isFrozen(hit)).toBe(true);
      expect(Object.isFrozen(hit!.list[0])).toBe(true);
      expect(() => hit!.list.push({ n: 2 })).toThrow(TypeError);
      expect(await client().get('frozen')).toStrictEqual({
        list: [{ n: 1 }],
        big: 1n,
        missing: undefined,
      });
      expect(Object.isFrozen(await client().get('frozen'))).toBe(false);
      const sameOnEveryHit = (await client().get('frozen', { clone: false })) === hit;
      expect(sameOnEveryHit).toBe(inProcess);
    });

    it('with clone: false, still copies a value holding parts that cannot be frozen', async () => {
      await client().set('unfreezable', { at: new Date(0) });
      const first = await client().get<{ at: Date }>('unfreezable', { clone: false });
      first!.at.setTime(5);
      expect(await client().get('unfreezable', { clone: false })).toStrictEqual({
        at: new Date(0),
      });
    });

    it('with clone: false, hands one frozen value to every caller joining a load', async () => {
      const load = async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return { n: 1 };
      };
      const [, ...joined] = await Promise.all(
        Array.from({ length: 5 }, () => client().getOrSet('shared-load', load, { clone: false })),
      );
      expect(new Set(joined).size).toBe(1);
      expect(Object.isFrozen(joined[0])).toBe(true);
    });

    it('takes clone: false as the module default, and a call can ask for a copy', async () => {
      const frozenApp = await context.open({ clone: false });
      await frozenApp.client.set('k', { n: 1 });
      expect(Object.isFrozen(await frozenApp.client.get('k'))).toBe(true);
      expect(Object.isFrozen(await frozenApp.client.get('k', { clone: true }))).toBe(false);
    });
  });
}
