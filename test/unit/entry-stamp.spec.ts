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

/** An independent writing of the format: every field, then the trailing zero fields dropped. */
function writtenByOracle({ expiresAt, ttlMs, graceMs, loadMs }: EntryStamp): string {
  const fields = [expiresAt, ttlMs ?? 0, graceMs ?? 0, loadMs ?? 0].map((n) =>
    Math.max(0, Math.ceil(n)).toString(36),
  );
  while (fields.length > 1 && fields[fields.length - 1] === '0') fields.pop();
  return `E${fields.join(',')}\n`;
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
      expect(text).toBe(writtenByOracle(stamp));
      const read = readStamp(text.slice(1, -1));
      expect(read).toEqual(oracle(text.slice(1, -1)));
      expect(read?.expiresAt).toBe(stamp.expiresAt);
    }
  });

  it('writes fractions rounded up, negatives as 0, and leaves out trailing empty fields', () => {
    for (const stamp of [
      { expiresAt: 36 },
      { expiresAt: 36, loadMs: 1 },
      { expiresAt: 36, graceMs: 0.2 },
      { expiresAt: 1.5, ttlMs: -4, graceMs: 0, loadMs: 0 },
      { expiresAt: 0, ttlMs: 0, graceMs: 7, loadMs: 0 },
    ]) {
      expect(writeStamp(stamp), JSON.stringify(stamp)).toBe(writtenByOracle(stamp));
    }
    expect(writeStamp({ expiresAt: 36, loadMs: 1 })).toBe('E10,0,0,1\n');
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
