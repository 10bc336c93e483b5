import { CacheOptionsError } from '../errors.js';
import type { LoaderResilienceOptions, Ttl } from '../interfaces/cache-module-options.interface.js';
import { CACHE_DEFAULTS } from '../options/cache-defaults.js';
import { toTtlMs } from '../utils/ttl.js';

/** How a load is protected and shared, resolved: durations in milliseconds, `0` for off. */
export interface LoadPolicy {
  graceMs: number;
  graceRetryMs: number;
  softTimeoutMs: number;
  hardTimeoutMs: number;
  /** A fraction of the TTL, `'probabilistic'` (XFetch), or `undefined` for off. */
  refreshAhead: number | 'probabilistic' | undefined;
  distributedLock: boolean;
  /** Any of the above on: loads go through `GuardedLoads`, not plain single-flight. */
  guarded: boolean;
}

export const RESILIENCE_KEYS = {
  grace: true,
  graceRetry: true,
  softTimeout: true,
  hardTimeout: true,
  refreshAhead: true,
  lock: true,
} satisfies Record<keyof LoaderResilienceOptions, true>;

/** The module's defaults when its options say nothing. */
export const DEFAULT_LOAD_POLICY: LoadPolicy = resolveLoadPolicy(CACHE_DEFAULTS, undefined, '');

/**
 * The policy `options` ask for, each field not given taken from `defaults`. Answers `defaults`
 * itself when `options` name none of them (the common case costs nothing per call). Throws a
 * `CacheOptionsError` (or `CacheTtlError`) naming `where` for a bad value.
 */
export function resolveLoadPolicy(
  options: LoaderResilienceOptions,
  defaults: LoadPolicy | undefined,
  where: string,
): LoadPolicy {
  const { grace, graceRetry, softTimeout, hardTimeout, refreshAhead, lock } = options;
  const given = [grace, graceRetry, softTimeout, hardTimeout, refreshAhead, lock];
  if (defaults && given.every((value) => value === undefined)) return defaults;
  const named = (option: string) => (where ? `${option} of ${where}` : option);
  const duration = (value: Ttl | undefined, option: string, fallback: number | undefined) =>
    value === undefined ? fallback! : (toTtlMs(value, `option "${named(option)}"`) ?? 0);
  const policy = {
    graceMs: duration(grace, 'grace', defaults?.graceMs),
    graceRetryMs: duration(graceRetry, 'graceRetry', defaults?.graceRetryMs),
    softTimeoutMs: duration(softTimeout, 'softTimeout', defaults?.softTimeoutMs),
    hardTimeoutMs: duration(hardTimeout, 'hardTimeout', defaults?.hardTimeoutMs),
    refreshAhead:
      refreshAhead === undefined
        ? defaults?.refreshAhead
        : checkRefreshAhead(refreshAhead, named('refreshAhead')),
    distributedLock:
      lock === undefined
        ? defaults!.distributedLock
        : checkLock(lock, named('lock')) === 'distributed',
  };
  return { ...policy, guarded: isGuarded(policy) };
}

function isGuarded(policy: Omit<LoadPolicy, 'guarded'>): boolean {
  const { graceMs, softTimeoutMs, hardTimeoutMs, refreshAhead, distributedLock } = policy;
  return (
    graceMs > 0 ||
    softTimeoutMs > 0 ||
    hardTimeoutMs > 0 ||
    refreshAhead !== undefined ||
    distributedLock
  );
}

function checkRefreshAhead(value: unknown, option: string): LoadPolicy['refreshAhead'] {
  if (value === false) return undefined;
  if (value === true) return 'probabilistic';
  if (typeof value === 'number' && value > 0 && value < 1) return value;
  throw new CacheOptionsError(
    option,
    value,
    'Use a fraction of the TTL between 0 and 1 (0.8: refresh in the last 20 % of its life), true for probabilistic early refresh, or false.',
  );
}

function checkLock(value: unknown, option: string): 'local' | 'distributed' {
  if (value === 'local' || value === 'distributed') return value;
  throw new CacheOptionsError(option, value, "Use 'local' or 'distributed'.");
}
