import { describe, expect, it } from 'vitest';
import { dropOwnProtoKeys } from '../../lib/serialization/drop-proto-keys.js';

const withProto = () => JSON.parse('{"__proto__":{"polluted":true},"a":1}') as object;

describe('dropOwnProtoKeys (values a custom serializer decoded)', () => {
  it('drops own __proto__ keys at any depth, in arrays, Map keys and values and Set members', () => {
    const value = {
      top: withProto(),
      list: [[withProto()]],
      map: new Map([[withProto(), withProto()]]),
      set: new Set([withProto()]),
    };
    dropOwnProtoKeys(value);
    const [[key, mapped]] = [...value.map];
    const [member] = [...value.set];
    for (const object of [value.top, value.list[0][0], key, mapped, member]) {
      expect(object).toEqual({ a: 1 });
      expect(Object.hasOwn(object, '__proto__')).toBe(false);
    }
  });

  it('ends on a cyclic graph, and runs no getter', () => {
    const cyclic: Record<string, unknown> = withProto() as Record<string, unknown>;
    cyclic.self = cyclic;
    let reads = 0;
    Object.defineProperty(cyclic, 'lazy', { get: () => ++reads, enumerable: true });
    dropOwnProtoKeys(cyclic);
    expect(Object.hasOwn(cyclic, '__proto__')).toBe(false);
    expect(reads).toBe(0);
  });

  it('throws for a frozen object with an own __proto__ key (the entry is then corrupt)', () => {
    expect(() => dropOwnProtoKeys(Object.freeze(withProto()))).toThrow(TypeError);
  });

  it('leaves primitives, binary views and objects without the key as they are', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const plain = { a: [1, 'x', null] };
    for (const value of [undefined, null, 1, 'x', bytes, plain]) dropOwnProtoKeys(value);
    expect(bytes).toEqual(new Uint8Array([1, 2, 3]));
    expect(plain).toEqual({ a: [1, 'x', null] });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
