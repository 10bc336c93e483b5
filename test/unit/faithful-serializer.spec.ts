import { describe, expect, it } from 'vitest';
import { CacheError, faithfulSerializer } from '../../lib/index.js';
import { everyType } from '../support/value-behaviour.js';

const { serialize, deserialize } = faithfulSerializer;
const roundTrip = (value: unknown) => deserialize(serialize(value));

class Money {
  constructor(public cents: number) {}
}

describe('faithfulSerializer', () => {
  it('writes plain JSON data exactly as JSON.stringify does', () => {
    const values = [
      { id: 1, name: 'Ada', roles: ['admin'], nested: { ok: true, none: null } },
      [1, 'two', [3], {}],
      'text with "quotes", \n newlines and \ud83d\ude00',
      'lone \ud800 surrogate',
      0,
      -12.5e-7,
      true,
      null,
      { __proto__: null, a: 1 },
      JSON.parse('{"__proto__":{"x":1},"b":2}'),
    ];
    for (const value of values) expect(serialize(value)).toBe(JSON.stringify(value));
  });

  it('keeps very deep plain data in the plain JSON form', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 2000; i++) deep = { d: deep };
    expect(serialize(deep)).toBe(JSON.stringify(deep));
  });

  const { missing: _undefined, ...topLevel } = everyType();
  it.each(Object.entries(topLevel))('round-trips %s with its type', (_name, value) => {
    expect(roundTrip(value)).toStrictEqual(value);
    expect(roundTrip({ inside: [value] })).toStrictEqual({ inside: [value] });
  });

  it('round-trips every type nested in one another', () => {
    const value = everyType();
    const copy = roundTrip(value) as typeof value;
    expect(copy).toStrictEqual(value);
    expect(Buffer.isBuffer(copy.buffer)).toBe(true);
    expect(Buffer.isBuffer(copy.bytes)).toBe(false);
    expect(Object.is((copy.numbers as number[])[3], -0)).toBe(true);
    expect(Object.keys(copy)).toEqual(Object.keys(value));
    expect(copy.pattern.flags).toBe('gi');
  });

  it('keeps undefined inside objects and arrays, and holes become undefined', () => {
    // eslint-disable-next-line no-sparse-arrays
    const holes = [1, , 3];
    expect(roundTrip({ a: undefined, list: [undefined] })).toStrictEqual({
      a: undefined,
      list: [undefined],
    });
    expect(roundTrip(holes)).toStrictEqual([1, undefined, 3]);
  });

  it('writes the extended form as readable JSON with the types beside it', () => {
    const text = serialize({ id: 1, at: new Date(0), tags: new Set(['a']), big: 5n });
    expect(text).toBe(
      'X{"json":{"id":1,"at":"1970-01-01T00:00:00.000Z","tags":["a"],"big":"5"},' +
        '"meta":{"at":"Date","tags":"Set","big":"bigint"}}',
    );
  });

  it('stores only the bytes a typed array views, not the whole buffer behind it', () => {
    const whole = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    const part = whole.subarray(2, 4);
    const copy = roundTrip(part) as Uint8Array;
    expect(copy).toStrictEqual(new Uint8Array([3, 4]));
    expect(copy.buffer.byteLength).toBe(2);
  });

  it('turns objects seen twice into two equal objects, as JSON does', () => {
    const shared = { n: 1, at: new Date(0) };
    const copy = roundTrip({ a: shared, b: shared }) as { a: object; b: object };
    expect(copy.a).toStrictEqual(shared);
    expect(copy.b).toStrictEqual(shared);
    expect(copy.a).not.toBe(copy.b);
  });

  it.each([
    ['a class instance', new Money(5), /class instance \(Money\) at \(root\).*type: Money/],
    ['a nested instance', { price: new Money(5) }, /\(Money\) at \.price.*plain data/],
    ['an array element', [1, new Money(5)], /\(Money\) at \[1\].*`type: \[Money\]`/],
    ['a Map value', new Map([['k', new Money(1)]]), /\(Money\) at \.get\("k"\)/],
    ['an Error', { error: new Error('x') }, /class instance \(Error\) at \.error/],
    ['a Map subclass', { m: new (class Registry extends Map {})() }, /\(Registry\) at \.m/],
    ['a function', { run: () => 1 }, /A function at \.run/],
    ['a symbol', { 'odd key': Symbol('s') }, /A symbol at \["odd key"\]/],
    ['a promise', { later: Promise.resolve(1) }, /\(Promise\) at \.later/],
  ])('refuses %s, naming it and where it is', (_what, value, message) => {
    let error: unknown;
    try {
      serialize(value);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CacheError);
    expect((error as CacheError).code).toBe('E_CACHE_UNSERIALIZABLE');
    expect((error as CacheError).message).toMatch(message);
  });

  it('refuses a cycle, also through a Map or a Set, and undefined as the whole value', () => {
    const loop: Record<string, unknown> = { at: new Date(0) };
    loop.self = { back: loop };
    const map = new Map<string, unknown>();
    map.set('me', map);
    expect(() => serialize(loop)).toThrow(/cycle\) at \.self\.back/);
    expect(() => serialize({ map })).toThrow(/cycle\) at \.map\.get\("me"\)/);
    expect(() => serialize(undefined)).toThrow(TypeError);
  });

  it('rejects damaged extended text instead of guessing', () => {
    for (const text of [
      'X{"json":1}',
      'X{"json":"a","meta":"Nope"}',
      'X{"json":{"a":1},"meta":{"b":"Date"}}',
      'X{"json":"x","meta":"bigint"}',
      'X{"json":[1],"meta":["Map",{"0":"Date"}]}',
      'X{"json":"/a/zz","meta":"RegExp"}',
      'X{"json":"AAA=","meta":"Float64Array"}',
      'X[1]',
    ]) {
      expect(() => deserialize(text)).toThrow();
    }
  });

  it('lets no annotation reach a prototype', () => {
    const hostile =
      'X{"json":{"__proto__":{"polluted":"yes"}},"meta":{"__proto__":{"polluted":"Date"}}}';
    const value = deserialize(hostile) as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(() =>
      deserialize('X{"json":{},"meta":{"constructor":{"prototype":{"x":"Date"}}}}'),
    ).toThrow();
    expect((Object.prototype as Record<string, unknown>).x).toBeUndefined();
  });
});
