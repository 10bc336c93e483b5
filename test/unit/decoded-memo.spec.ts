import { Logger } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { faithfulSerializer, jsonSerializer, MemoryStore } from '../../lib/index.js';
import { DistributedCacheClient } from '../../lib/client/distributed-cache.client.js';
import { SafeStore } from '../../lib/client/safe-store.js';
import { FailureLog } from '../../lib/resilience/failure-log.js';
import { cloneJson } from '../../lib/serialization/clone-json.js';
import { DecodedMemo } from '../../lib/serialization/decoded-memo.js';
import { EntryCodec } from '../../lib/serialization/entry-codec.js';

const codec = new EntryCodec(faithfulSerializer);
const stored = (value: unknown, tags?: Record<string, string>) =>
  codec.wrap(codec.serialize(value), tags);
const remembered = (memo: DecodedMemo) => memo.size;

class Point {
  constructor(
    public x: number,
    public y: number,
  ) {}
}

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
  it('settled: only a remembered entry with neither tags nor stamp, as the read asks', () => {
    const memo = new DecodedMemo(codec, { maxEntries: 10 });
    const plain = stored({ n: 1 });
    const tagged = stored({ n: 2 }, { t: 'v1' });
    const stamped = codec.stamp(stored({ n: 3 }), { expiresAt: Date.now() + 60_000 });
    expect(memo.settled(plain, undefined, true)).toBeUndefined();
    for (const text of [plain, tagged, stamped]) memo.decode(text);
    const copy = memo.settled(plain, undefined, true);
    expect(copy).toEqual({ n: 1 });
    expect(memo.settled(plain, undefined, true)).not.toBe(copy);
    const frozen = memo.settled(plain, undefined, false);
    expect(Object.isFrozen(frozen)).toBe(true);
    expect(memo.settled(plain, undefined, false)).toBe(frozen);
    expect(memo.settled(tagged, undefined, true)).toBeUndefined();
    expect(memo.settled(stamped, undefined, true)).toBeUndefined();
  });

  it('answers a fresh copy on every decode, so mutating one never changes the next', () => {
    const memo = new DecodedMemo(codec, { maxEntries: 10 });
    const text = stored({ id: 1, roles: ['a'] });
    const first = memo.decode(text).value as { id: number; roles: string[] };
    first.id = 2;
    first.roles.push('b');
    expect(memo.decode(text).value).toEqual({ id: 1, roles: ['a'] });
  });

  it('copies extended values with their types', () => {
    const memo = new DecodedMemo(codec, { maxEntries: 10 });
    const value = { at: new Date(0), set: new Set([1n]), bytes: Buffer.from('ab') };
    const text = stored(value);
    const first = memo.decode(text).value as typeof value;
    first.at.setTime(5);
    first.set.add(2n);
    first.bytes[0] = 0;
    expect(memo.decode(text).value).toStrictEqual(value);
  });

  it('decodes tags as the codec does, and throws for a corrupt entry', () => {
    const memo = new DecodedMemo(codec, { maxEntries: 10 });
    const text = stored({ id: 1 }, { users: 'v1' });
    expect(memo.decode(text)).toEqual(codec.decode(text));
    expect(() => memo.decode('Xnot an entry')).toThrow();
  });

  it('holds at most maxEntries, and stays correct past it', () => {
    const memo = new DecodedMemo(codec, { maxEntries: 2 });
    const texts = [1, 2, 3].map((id) => stored({ id }));
    for (const text of [...texts, ...texts]) {
      expect(memo.decode(text)).toEqual(codec.decode(text));
    }
    expect(remembered(memo)).toBe(2);
  });

  it('holds at most maxSize bytes of stored text, as the memory store counts them', () => {
    const memo = new DecodedMemo(codec, { maxEntries: 1000, maxSize: 1000 });
    const texts = Array.from({ length: 20 }, (_, id) => stored({ id, pad: 'x'.repeat(90) }));
    for (const text of texts) expect(memo.decode(text)).toEqual(codec.decode(text));
    const bytes = texts[0].length * 2;
    expect(remembered(memo)).toBe(Math.floor(1000 / bytes));
    expect(memo.decode(texts[19]).value).toEqual({ id: 19, pad: 'x'.repeat(90) });
  });

  it('forgets everything on clear()', () => {
    const memo = new DecodedMemo(codec, { maxEntries: 10 });
    memo.decode(stored({ id: 1 }));
    memo.clear();
    expect(remembered(memo)).toBe(0);
  });

  it('with clone false, answers one deep-frozen value, the same on every decode', () => {
    const memo = new DecodedMemo(codec, { maxEntries: 10 });
    const text = stored({ list: [{ n: 1 }] });
    const shared = memo.decode(text, undefined, false).value as { list: { n: number }[] };
    expect(memo.decode(text, undefined, false).value).toBe(shared);
    expect(Object.isFrozen(shared.list[0])).toBe(true);
    const copy = memo.decode(text).value as { list: { n: number }[] };
    expect(Object.isFrozen(copy)).toBe(false);
    copy.list[0].n = 2;
    expect(shared.list[0].n).toBe(1);
  });

  it('with clone false and a type, answers one frozen instance per class and form', () => {
    const memo = new DecodedMemo(codec, { maxEntries: 10 });
    const one = stored({ x: 1, y: 2 });
    const point = memo.decode(one, Point, false).value;
    expect(point).toBeInstanceOf(Point);
    expect(Object.isFrozen(point)).toBe(true);
    expect(memo.decode(one, Point, false).value).toBe(point);
    const many = stored([{ x: 1, y: 2 }]);
    const points = memo.decode(many, [Point], false).value as Point[];
    expect(memo.decode(many, [Point], false).value).toBe(points);
    expect(points[0]).toBeInstanceOf(Point);
    expect(memo.decode(one).value).not.toBeInstanceOf(Point);
  });

  it('with clone false, still copies a value that cannot be frozen', () => {
    const memo = new DecodedMemo(codec, { maxEntries: 10 });
    const text = stored({ tags: new Set(['a']) });
    const first = memo.decode(text, undefined, false).value as { tags: Set<string> };
    first.tags.add('b');
    expect(memo.decode(text, undefined, false).value).toStrictEqual({ tags: new Set(['a']) });
  });

  it('works with the strict JSON serializer too', () => {
    const jsonCodec = new EntryCodec(jsonSerializer);
    const memo = new DecodedMemo(jsonCodec, { maxEntries: 10 });
    const text = jsonCodec.wrap(jsonCodec.serialize({ id: 1 }));
    expect(memo.decode(text).value).toEqual({ id: 1 });
  });
});

describe('CacheClient over the memory store', () => {
  it('empties the decoded-value memo on clear()', async () => {
    const store = new MemoryStore();
    const safe = new SafeStore(store, new FailureLog(new Logger('test')), {
      readRetries: 0,
      commandTimeout: 100,
    });
    const memo = new DecodedMemo(codec, { maxEntries: 10 });
    const client = new DistributedCacheClient(safe, codec, undefined, memo);
    await client.set('a', { id: 1 });
    expect(await client.get('a')).toEqual({ id: 1 });
    expect(remembered(memo)).toBe(1);
    expect(await client.clear()).toBe(true);
    expect(remembered(memo)).toBe(0);
  });
});
