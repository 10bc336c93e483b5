import { describe, expect, it } from 'vitest';
import { CacheTtlError, toTtlMs } from '../../lib/index.js';

describe('toTtlMs', () => {
  it('reads a number as seconds', () => {
    expect(toTtlMs(300, 'ttl')).toBe(300_000);
    expect(toTtlMs(0.25, 'ttl')).toBe(250);
  });

  it('reads duration strings', () => {
    expect(toTtlMs('500ms', 'ttl')).toBe(500);
    expect(toTtlMs('30s', 'ttl')).toBe(30_000);
    expect(toTtlMs('5m', 'ttl')).toBe(300_000);
    expect(toTtlMs('1h', 'ttl')).toBe(3_600_000);
    expect(toTtlMs('1d', 'ttl')).toBe(86_400_000);
  });

  it('treats 0 and undefined as no expiry', () => {
    expect(toTtlMs(0, 'ttl')).toBeUndefined();
    expect(toTtlMs('0s', 'ttl')).toBeUndefined();
    expect(toTtlMs(undefined, 'ttl')).toBeUndefined();
  });

  it('rejects anything else with an error naming where and what', () => {
    for (const bad of [-1, '-1s', 'soon', '10', '', NaN, Infinity, true, {}]) {
      expect(() => toTtlMs(bad as never, 'option "ttl"')).toThrow(CacheTtlError);
    }
    expect(() => toTtlMs('5 parsecs', 'option "ttl"')).toThrow(/option "ttl": "5 parsecs"/);
  });
});
