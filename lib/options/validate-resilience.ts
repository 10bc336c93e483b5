import type { CacheModuleOptions } from '../interfaces/cache-module-options.interface.js';
import type { CircuitBreakerSettings } from '../resilience/circuit-breaker.js';
import { toTtlMs } from '../utils/ttl.js';
import { CACHE_DEFAULTS } from './cache-defaults.js';
import { definedOnly, optionError, section, wholeNumber } from './option-checks.js';
import { refuseUnknownKeys } from './unknown-keys.js';

const BREAKER_KEYS = new Set(['failures', 'breakFor']);

/** `circuitBreaker`, checked: `undefined` when turned off with `false`. */
export function resolveCircuitBreaker(
  value: CacheModuleOptions['circuitBreaker'],
): CircuitBreakerSettings | undefined {
  if (value === false) return undefined;
  const given =
    value === undefined || value === true
      ? {}
      : section('circuitBreaker', value, "false, true, or { failures: 5, breakFor: '1s' }");
  refuseUnknownKeys('circuitBreaker', given, { keys: BREAKER_KEYS });
  const { failures, breakFor } = { ...CACHE_DEFAULTS.circuitBreaker, ...definedOnly(given) };
  const breakForMs = toTtlMs(breakFor as string | number, 'option "circuitBreaker.breakFor"');
  if (breakForMs === undefined) {
    throw optionError(
      'circuitBreaker.breakFor',
      breakFor,
      "Give a duration above 0, such as '1s', or turn the breaker off with circuitBreaker: false.",
    );
  }
  return { failures: wholeNumber('circuitBreaker.failures', failures, 1), breakForMs };
}
