import { describe, expect, it } from 'vitest';
import { CacheError, jsonSerializer } from '../../lib/index.js';
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
