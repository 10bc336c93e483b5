import { describe, expect, it } from 'vitest';
import { CacheError, faithfulSerializer, jsonSerializer } from '../../lib/index.js';
import { EntryCodec } from '../../lib/serialization/entry-codec.js';

const codec = new EntryCodec(jsonSerializer);
const roundTrip = (value: unknown, tags?: Record<string, string>) =>
  codec.decode(codec.wrap(codec.serialize(value), tags));

describe('EntryCodec', () => {
  it('round-trips plain data, null and text with newlines', () => {
    for (const value of [{ a: [1, 'x\ny'] }, null, 0, '', 'line\nbreak', [true]]) {
      expect(roundTrip(value)).toEqual({ value });
    }
  });

  it('carries tag versions beside the value', () => {
    expect(roundTrip({ id: 1 }, { users: 'v1', 'user:1': 'v9' })).toEqual({
      value: { id: 1 },
      tags: { users: 'v1', 'user:1': 'v9' },
    });
  });

  it('refuses values JSON would silently change or cannot hold', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    for (const value of [undefined, () => 1, { f: () => 1 }, { s: Symbol('x') }, 1n, circular]) {
      expect(() => codec.serialize(value)).toThrow();
    }
  });

  it('reports foreign or damaged text as a corrupted entry', () => {
    for (const stored of ['', 'hello', '{"a":1}', 'J{', 'T{"a":"1"}', 'Tnull\n1', '\u0000\u00ff']) {
      expect(() => codec.decode(stored)).toThrow(
        expect.objectContaining({ code: 'E_CACHE_CORRUPTED_ENTRY' }) as CacheError,
      );
    }
  });
});

describe('EntryCodec with the default serializer', () => {
  const faithful = new EntryCodec(faithfulSerializer);
  const entry = (value: unknown, tags?: Record<string, string>) =>
    faithful.wrap(faithful.serialize(value), tags);

  it('frames plain JSON as J + its JSON text, and the extended form as X… without a J', () => {
    expect(entry({ a: [1] })).toBe('J{"a":[1]}');
    expect(entry(new Set([1]))).toBe('X{"json":[1],"meta":"Set"}');
    expect(entry(new Set([1]), { t: '1' })).toBe('T{"t":"1"}\nX{"json":[1],"meta":"Set"}');
    expect(faithful.decode(entry(new Set([1]), { t: '1' }))).toEqual({
      value: new Set([1]),
      tags: { t: '1' },
    });
  });

  it('tells plain entries from extended ones', () => {
    expect(faithful.isPlain(entry({ a: 1 }))).toBe(true);
    expect(faithful.isPlain(entry({ a: 1 }, { t: '1' }))).toBe(true);
    expect(faithful.isPlain(entry(1n))).toBe(false);
    expect(faithful.isPlain(entry(1n, { t: '1' }))).toBe(false);
  });

  it('reads entries written before extended values existed', () => {
    expect(faithful.decode('J{"id":1}')).toEqual({ value: { id: 1 } });
    expect(faithful.decode('T{"t":"v"}\n[1]')).toEqual({ value: [1], tags: { t: 'v' } });
  });

  it('treats an X entry as corrupt under another serializer', () => {
    expect(() => codec.decode('X{"json":[1],"meta":"Set"}')).toThrow(
      expect.objectContaining({ code: 'E_CACHE_CORRUPTED_ENTRY' }) as CacheError,
    );
  });
});

describe('EntryCodec expiry stamp', () => {
  const faithful = new EntryCodec(faithfulSerializer);

  it('carries the expiry time in front of any entry and reads the entry beneath it unchanged', () => {
    const at = Date.UTC(2030, 0, 1);
    for (const [value, tags] of [
      [{ a: 1 }, undefined],
      [new Set([1]), undefined],
      [[1n], { t: 'v' }],
    ] as const) {
      const stamp = { expiresAt: at, ttlMs: 60_000, graceMs: 5000, loadMs: 12 };
      const stamped = faithful.stamp(faithful.wrap(faithful.serialize(value), tags), stamp);
      expect(stamped.startsWith('E')).toBe(true);
      expect(faithful.decode(stamped)).toEqual({ value, stamp, ...(tags ? { tags } : {}) });
      expect(faithful.isPlain(stamped)).toBe(
        faithful.isPlain(faithful.wrap(faithful.serialize(value), tags)),
      );
    }
  });

  it('leaves out the fields it has no value for, and reads them back as absent', () => {
    const stamped = faithful.stamp('J1', { expiresAt: 36 });
    expect(stamped).toBe('E10\nJ1');
    expect(faithful.decode(stamped)).toEqual({ value: 1, stamp: { expiresAt: 36 } });
    expect(faithful.decode(faithful.stamp('J1', { expiresAt: 36, loadMs: 1 }))).toEqual({
      value: 1,
      stamp: { expiresAt: 36, loadMs: 1 },
    });
  });

  it('reports a damaged stamp as a corrupted entry', () => {
    for (const stored of [
      'E',
      'E12',
      'E\nJ1',
      'E!!\nJ1',
      'E1\nE2\nJ1',
      'E1\nnope',
      'E1,2,3,4,5\nJ1',
      'E1,,2\nJ1',
      'E-1\nJ1',
    ]) {
      expect(() => faithful.decode(stored), stored).toThrow(
        expect.objectContaining({ code: 'E_CACHE_CORRUPTED_ENTRY' }) as CacheError,
      );
    }
  });
});
