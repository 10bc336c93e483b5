import { describe, expect, it } from 'vitest';
import { readStamp, writeStamp, type EntryStamp } from '../../lib/serialization/entry-stamp.js';

/** An independent reading of the stamp format: split, a pattern per field, parseInt. */
function oracle(text: string): EntryStamp | undefined {
  const fields = text.split(',');
  if (fields.length > 4) return undefined;
  const numbers = fields.map((field) => (/^[0-9a-z]+$/.test(field) ? parseInt(field, 36) : NaN));
  if (!numbers.every(Number.isSafeInteger)) return undefined;
  const [expiresAt, ttlMs, graceMs, loadMs] = numbers;
  return {
    expiresAt,
    ...(ttlMs ? { ttlMs } : {}),
    ...(graceMs ? { graceMs } : {}),
    ...(loadMs ? { loadMs } : {}),
  };
}

/** A seeded generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('entry stamp', () => {
  it('reads back every stamp it writes', () => {
    const next = random(7);
    for (let i = 0; i < 2000; i++) {
      const stamp: EntryStamp = { expiresAt: Math.floor(next() * 2 ** 45) };
      if (next() < 0.7) stamp.ttlMs = Math.floor(next() * 1e9) + 1;
      if (next() < 0.5) stamp.graceMs = Math.floor(next() * 1e7) + 1;
      if (next() < 0.5) stamp.loadMs = Math.floor(next() * 1e4) + 1;
      const text = writeStamp(stamp);
      const read = readStamp(text.slice(1, -1));
      expect(read).toEqual(oracle(text.slice(1, -1)));
      expect(read?.expiresAt).toBe(stamp.expiresAt);
    }
  });

  it('agrees with an independent reading on damaged and foreign text', () => {
    const alphabet = '0123456789az,,,AZ-+. zz\u00e9';
    const next = random(11);
    const cases = ['', ',', '1,', ',1', '1,,2', '1,2,3,4', '1,2,3,4,5', 'zzzzzzzzzzzz', 'ZZ', '-1'];
    for (let i = 0; i < 5000; i++) {
      const length = Math.floor(next() * 14);
      let text = '';
      for (let c = 0; c < length; c++) text += alphabet[Math.floor(next() * alphabet.length)];
      cases.push(text);
    }
    for (const text of cases) expect(readStamp(text), JSON.stringify(text)).toEqual(oracle(text));
  });
});
