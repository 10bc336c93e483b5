import { describe, expect, it } from 'vitest';
import { cloneJson } from '../../lib/serialization/clone-json.js';
import { copierFor } from '../../lib/serialization/shape-copier.js';

const record = () =>
  JSON.parse(
    '{"id":1,"name":"Ada","roles":["admin",{"scope":"all"}],"address":{"city":"London","geo":{"lat":51.5,"lng":-0.1}},"note":null,"active":true}',
  ) as Record<string, unknown>;

describe('copierFor', () => {
  it('copies a record deeply: equal, and sharing no object with the original', () => {
    const original = record();
    const copy = copierFor(original)(original) as typeof original;
    expect(copy).toStrictEqual(original);
    expect(copy).not.toBe(original);
    expect(copy.roles).not.toBe(original.roles);
    expect((copy.roles as unknown[])[1]).not.toBe((original.roles as unknown[])[1]);
    expect(copy.address).not.toBe(original.address);
    expect((copy.address as { geo: object }).geo).not.toBe(
      (original.address as { geo: object }).geo,
    );
    expect(Object.keys(copy)).toEqual(Object.keys(original));
  });

  it('shares one compiled copier between values of one shape, and not across shapes', () => {
    const a = record();
    const b = { ...record(), id: 2, name: 'Grace' };
    expect(copierFor(a)).toBe(copierFor(b));
    expect(copierFor(b)(b)).toStrictEqual(b);
    const other = { ...record(), extra: 1 };
    expect(copierFor(other)).not.toBe(copierFor(a));
    expect(copierFor(other)(other)).toStrictEqual(other);
  });

  it('leaves arrays, primitives and objects holding a __proto__ key to cloneJson', () => {
    expect(copierFor([1, 2])).toBe(cloneJson);
    expect(copierFor('text')).toBe(cloneJson);
    expect(copierFor(null)).toBe(cloneJson);
    const hostile = JSON.parse('{"a":{"__proto__":{"polluted":true}}}') as object;
    expect(copierFor(hostile)).toBe(cloneJson);
    const copy = cloneJson(hostile) as { a: object };
    expect(Object.getPrototypeOf(copy.a)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps keys that look like code as data: no key reaches the compiled code as code', () => {
    const keys = [
      '"]); throw new Error("injected"); //',
      '\\',
      '\n',
      '\u2028',
      '`${1}`',
      '1',
      'constructor',
    ];
    const value = Object.fromEntries(keys.map((key, i) => [key, { i }]));
    const copy = copierFor(value)(value) as Record<string, { i: number }>;
    // Compared as text: with an own `constructor` key, toStrictEqual compares those as classes.
    expect(JSON.stringify(copy)).toBe(JSON.stringify(value));
    expect(Object.keys(copy)).toEqual(keys.slice(5, 6).concat(keys.slice(0, 5), keys.slice(6)));
    expect(copy.constructor).toEqual({ i: 6 });
  });

  it('copies a wide or deep value with cloneJson, equal all the same', () => {
    const wide = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i]));
    expect(copierFor(wide)).toBe(cloneJson);
    const deep = { a: { b: { c: { d: { e: { f: 1 } } } } } };
    const copy = copierFor(deep)(deep) as typeof deep;
    expect(copy).toStrictEqual(deep);
    expect(copy.a.b.c.d.e).not.toBe(deep.a.b.c.d.e);
  });
});
