import { describe, expect, it } from 'vitest';
import { jsonSerializer } from '../../lib/index.js';
import { cloneJson } from '../../lib/serialization/clone-json.js';
import { DecodedMemo } from '../../lib/serialization/decoded-memo.js';
import { EntryCodec } from '../../lib/serialization/entry-codec.js';

const codec = new EntryCodec(jsonSerializer);
const stored = (value: unknown, tags?: Record<string, string>) =>
  codec.wrap(codec.serialize(value), tags);

describe('cloneJson', () => {
  it('gives what parsing the text again gives: same keys, order, nesting, own __proto__ key', () => {
    const text = '{"b":1,"a":[{"x":null},"s",true,2.5],"__proto__":{"polluted":true},"2":"n"}';
    const parsed: unknown = JSON.parse(text);
    const copy = cloneJson(parsed);
    expect(copy).toStrictEqual(JSON.parse(text));
    expect(JSON.stringify(copy)).toBe(JSON.stringify(parsed));
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('shares no object or array with its source', () => {
    const source = { list: [{ n: 1 }], inner: { deep: { n: 2 } } };
    const copy = cloneJson(source) as typeof source;
    copy.list[0].n = 9;
    copy.inner.deep.n = 9;
    copy.list.push({ n: 3 });
    expect(source).toEqual({ list: [{ n: 1 }], inner: { deep: { n: 2 } } });
  });
});

describe('DecodedMemo', () => {
  it('answers a fresh copy on every decode, so mutating one never changes the next', () => {
    const memo = new DecodedMemo(codec, 10);
    const text = stored({ id: 1, roles: ['a'] });
    const first = memo.decode(text).value as { id: number; roles: string[] };
    first.id = 2;
    first.roles.push('b');
    expect(memo.decode(text).value).toEqual({ id: 1, roles: ['a'] });
  });

  it('decodes tags as the codec does, and throws for a corrupt entry', () => {
    const memo = new DecodedMemo(codec, 10);
    const text = stored({ id: 1 }, { users: 'v1' });
    expect(memo.decode(text)).toEqual(codec.decode(text));
    expect(() => memo.decode('Xnot an entry')).toThrow();
  });

  it('holds at most its capacity, oldest out first, and stays correct past it', () => {
    const memo = new DecodedMemo(codec, 2);
    const texts = [1, 2, 3].map((id) => stored({ id }));
    for (const text of [...texts, ...texts]) {
      expect(memo.decode(text)).toEqual(codec.decode(text));
    }
    expect((memo as unknown as { entries: Map<string, unknown> }).entries.size).toBe(2);
  });
});
