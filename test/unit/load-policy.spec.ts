import { describe, expect, it } from 'vitest';
import { CacheOptionsError, CacheTtlError } from '../../lib/index.js';
import { isExpired, refreshIsDue } from '../../lib/resilience/freshness.js';
import { DEFAULT_LOAD_POLICY, resolveLoadPolicy } from '../../lib/resilience/load-policy.js';

describe('resolveLoadPolicy', () => {
  it('answers the defaults themselves when a call names none of the options', () => {
    expect(resolveLoadPolicy({}, DEFAULT_LOAD_POLICY, 'getOrSet()')).toBe(DEFAULT_LOAD_POLICY);
    expect(DEFAULT_LOAD_POLICY).toMatchObject({ graceMs: 0, graceRetryMs: 10_000, guarded: false });
  });

  it('parses durations like ttl, keeps the other defaults, and marks the policy guarded', () => {
    const policy = resolveLoadPolicy({ grace: '1m', softTimeout: 0.05 }, DEFAULT_LOAD_POLICY, 'x');
    expect(policy).toEqual({
      ...DEFAULT_LOAD_POLICY,
      graceMs: 60_000,
      softTimeoutMs: 50,
      guarded: true,
    });
    expect(resolveLoadPolicy({ refreshAhead: true }, DEFAULT_LOAD_POLICY, 'x').refreshAhead).toBe(
      'probabilistic',
    );
    expect(resolveLoadPolicy({ lock: 'distributed' }, DEFAULT_LOAD_POLICY, 'x')).toMatchObject({
      distributedLock: true,
      guarded: true,
    });
  });

  it.each([
    [{ refreshAhead: 1 }, 'refreshAhead of @Cacheable on A.b'],
    [{ refreshAhead: 0 }, 'refreshAhead of @Cacheable on A.b'],
    [{ refreshAhead: 'yes' }, 'refreshAhead of @Cacheable on A.b'],
    [{ lock: 'global' }, 'lock of @Cacheable on A.b'],
  ])('refuses %j, naming the option and where', (options, option) => {
    const refuse = () =>
      resolveLoadPolicy(options as never, DEFAULT_LOAD_POLICY, '@Cacheable on A.b');
    expect(refuse).toThrow(CacheOptionsError);
    expect(refuse).toThrow(option);
  });

  it('refuses a duration that is not one, naming it', () => {
    expect(() => resolveLoadPolicy({ grace: 'soon' }, DEFAULT_LOAD_POLICY, 'getOrSet()')).toThrow(
      CacheTtlError,
    );
    expect(() => resolveLoadPolicy({ grace: 'soon' }, DEFAULT_LOAD_POLICY, 'getOrSet()')).toThrow(
      'grace of getOrSet()',
    );
  });
});

describe('freshness', () => {
  const stamp = { expiresAt: 10_000, ttlMs: 1000, loadMs: 50 };

  it('an entry without a stamp never expires; with one, at its expiry', () => {
    expect(isExpired(undefined, Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(isExpired(stamp, 9999)).toBe(false);
    expect(isExpired(stamp, 10_000)).toBe(true);
  });

  it('refreshAhead as a fraction: due once that fraction of the TTL has passed', () => {
    expect(refreshIsDue(stamp, 0.8, 9799)).toBe(false);
    expect(refreshIsDue(stamp, 0.8, 9800)).toBe(true);
    expect(refreshIsDue(undefined, 0.8, 9800)).toBe(false);
    expect(refreshIsDue(stamp, undefined, 9999)).toBe(false);
  });

  it('probabilistic: due when now - 2 · loadMs · ln(u) reaches the expiry', () => {
    // u = 1 - e^-1: -ln(u') = 1 with u' = 1 - random = e^-1, so due from expiresAt - 2 · 50 ms.
    const random = () => 1 - Math.exp(-1);
    expect(refreshIsDue(stamp, 'probabilistic', 9899, random)).toBe(false);
    expect(refreshIsDue(stamp, 'probabilistic', 9900, random)).toBe(true);
    // Without a recorded load time, 5 % of the TTL stands in for it.
    const unknown = { expiresAt: 10_000, ttlMs: 2000 };
    expect(refreshIsDue(unknown, 'probabilistic', 9800, random)).toBe(true);
    expect(refreshIsDue(unknown, 'probabilistic', 9799, random)).toBe(false);
  });
});
