import type {
  CacheBusOptions,
  CacheModuleOptions,
  LocalTierOptions,
} from '../interfaces/cache-module-options.interface.js';
import { toTtlMs } from '../utils/ttl.js';
import { CACHE_DEFAULTS } from './cache-defaults.js';
import { definedOnly, optionError, section, wholeNumber } from './option-checks.js';
import type { TierSettings } from './resolved-options.js';
import { refuseUnknownKeys } from './unknown-keys.js';
import { resolveRedis } from './validate-redis.js';

const L1_KEYS = { maxEntries: true, maxSize: true, ttl: true } satisfies Record<
  keyof LocalTierOptions,
  true
>;
const BUS_KEYS = { redis: true } satisfies Record<keyof CacheBusOptions, true>;

/**
 * `l1` and `bus`, checked: the L1 bounds (TTL cap in milliseconds) and where invalidations
 * travel (`'store'`: the Redis cache's own server). `undefined` when `l1` is off.
 */
export function resolveTiers(
  options: CacheModuleOptions,
  store: string | object,
): TierSettings | undefined {
  const { l1, bus } = options;
  if (l1 === undefined || l1 === false) {
    if (bus !== undefined) {
      throw optionError(
        'bus',
        bus,
        'The bus carries the invalidations of l1: add l1, or remove bus.',
      );
    }
    return undefined;
  }
  if (store === 'memory') {
    throw optionError(
      'l1',
      l1,
      "The memory store is in process already: l1 goes in front of store 'redis' or 'memcached'. Remove l1.",
    );
  }
  return { l1: resolveL1(l1), bus: resolveBus(bus, store) };
}

function resolveL1(value: unknown): TierSettings['l1'] {
  const l1 =
    value === true ? {} : section('l1', value, "true, or { maxEntries: 10000, ttl: '10s' }");
  refuseUnknownKeys('l1', l1, { keys: new Set(Object.keys(L1_KEYS)) });
  const given = { ...CACHE_DEFAULTS.l1, ...definedOnly(l1) };
  return {
    maxEntries: wholeNumber('l1.maxEntries', given.maxEntries, 1),
    maxSize: wholeNumber('l1.maxSize', given.maxSize, 1),
    ttlMs: toTtlMs(given.ttl as string | number, 'option "l1.ttl"') ?? Infinity,
  };
}

function resolveBus(value: unknown, store: string | object): TierSettings['bus'] {
  if (value === undefined) return store === 'redis' ? 'store' : undefined;
  const bus = section('bus', value, "{ redis: { url: 'redis://host:6379' } }");
  refuseUnknownKeys('bus', bus, { keys: new Set(Object.keys(BUS_KEYS)) });
  if (bus.redis === undefined) return store === 'redis' ? 'store' : undefined;
  const redis = resolveRedis(bus.redis, 'bus.redis');
  if ((bus.redis as { poolSize?: unknown }).poolSize !== undefined) {
    throw optionError(
      'bus.redis.poolSize',
      redis.poolSize,
      'The bus opens one connection to publish and one to subscribe: remove poolSize from bus.redis.',
    );
  }
  return redis;
}
