import type { CacheModuleOptions } from 'nestjs-distributed-cache';

/** The environment variables that choose and tune the sample app's cache. */
export interface CacheEnv {
  /** Unset: the in-process memory store. `redis://…`, `rediss://…` or `memcached://h1:p1,h2:p2`. */
  CACHE_URL?: string;
  /** Default TTL: seconds (`'300'`) or a duration (`'500ms'`, `'30s'`, `'5m'`, `'1h'`, `'1d'`). */
  CACHE_TTL?: string;
  /** Namespace of every key; instances that should share entries use the same one. */
  CACHE_KEY_PREFIX?: string;
  /**
   * The in-process L1 tier in front of a Redis or Memcached cache, with the package's defaults:
   * `1` or `true` turn it on; unset, empty, `0` or `false` leave it off (any case).
   */
  CACHE_L1?: string;
  /**
   * `redis://…` or `rediss://…`: the Redis that carries the L1's invalidations. Needed by a
   * Memcached cache for its L1 to follow changes made elsewhere; a Redis cache uses its own server.
   */
  CACHE_BUS_URL?: string;
}

export const DEFAULT_CACHE_TTL = '5m';
export const DEFAULT_CACHE_KEY_PREFIX = 'sample-app:';
const URL_FORMS = 'redis://host:port, rediss://host:port or memcached://host:port[,host:port…]';
const BUS_URL_FORMS = 'redis://host:port or rediss://host:port';
const TTL_PATTERN = /^\d+(\.\d+)?(ms|s|m|h|d)?$/;
const L1_ON = new Set(['1', 'true']);
const L1_OFF = new Set(['', '0', 'false']);

/**
 * The `CacheModule` options for an environment: the store from `CACHE_URL`, the L1 tier and its
 * bus, TTL and key prefix.
 */
export function cacheOptionsFromEnv(env: CacheEnv): CacheModuleOptions {
  const store = storeOptionsFromUrl(env.CACHE_URL);
  return {
    ...store,
    ...tierOptionsFromEnv(env, store.store),
    ttl: parseCacheTtl(env.CACHE_TTL),
    keyPrefix: env.CACHE_KEY_PREFIX?.trim() || DEFAULT_CACHE_KEY_PREFIX,
  };
}

/** `undefined` or empty: the memory store; otherwise the Redis or Memcached store the URL names. */
export function storeOptionsFromUrl(url: string | undefined): CacheModuleOptions {
  const value = url?.trim();
  if (!value) return { store: 'memory' };
  const scheme = schemeOf(value);
  if (scheme === 'redis' || scheme === 'rediss')
    return { store: 'redis', redis: redisOptions('CACHE_URL', value, URL_FORMS) };
  // The package parses and checks memcached://[user:pass@]h1[:p1],h2[:p2] itself (memcached.url).
  if (scheme === 'memcached') return { store: 'memcached', memcached: { url: value } };
  const reason = scheme ? `unknown scheme "${scheme}://"` : 'no scheme';
  throw invalidUrl('CACHE_URL', value, reason, URL_FORMS);
}

/** `CACHE_L1` as on or off. */
export function parseCacheL1(value: string | undefined): boolean {
  const text = (value ?? '').trim().toLowerCase();
  if (L1_ON.has(text)) return true;
  if (L1_OFF.has(text)) return false;
  throw new Error(
    `Invalid CACHE_L1 ${JSON.stringify(value)}: use 1 or true to turn the L1 tier on, 0 or false (or leave it unset) to leave it off.`,
  );
}

/**
 * `l1` and `bus` from `CACHE_L1` and `CACHE_BUS_URL`, refused here, naming the variables, where the
 * package would refuse the options they make (L1 on the memory store, a bus without L1).
 */
export function tierOptionsFromEnv(
  env: Pick<CacheEnv, 'CACHE_L1' | 'CACHE_BUS_URL'>,
  store: CacheModuleOptions['store'],
): Pick<CacheModuleOptions, 'l1' | 'bus'> {
  const l1 = parseCacheL1(env.CACHE_L1);
  const busUrl = env.CACHE_BUS_URL?.trim();
  if (busUrl && !l1) {
    throw new Error(
      'CACHE_BUS_URL carries the invalidations of the L1 tier, which is off: set CACHE_L1=1, or unset CACHE_BUS_URL.',
    );
  }
  if (!l1) return {};
  if (store === 'memory') {
    throw new Error(
      `CACHE_L1=${env.CACHE_L1?.trim()} needs a shared store: the memory store (CACHE_URL unset) is in process already. Set CACHE_URL to a redis:// or memcached:// URL, or unset CACHE_L1.`,
    );
  }
  return busUrl ? { l1: true, bus: { redis: busRedisOptions(busUrl) } } : { l1: true };
}

export function parseCacheTtl(ttl: string | undefined): number | string {
  const value = ttl?.trim();
  if (!value) return DEFAULT_CACHE_TTL;
  if (!TTL_PATTERN.test(value)) {
    throw new Error(
      `Invalid CACHE_TTL ${JSON.stringify(ttl)}: use a number of seconds or a duration such as '500ms', '30s', '5m', '1h', '1d'.`,
    );
  }
  return /^[\d.]+$/.test(value) ? Number(value) : value;
}

function busRedisOptions(url: string): NonNullable<CacheModuleOptions['redis']> {
  const scheme = schemeOf(url);
  if (scheme !== 'redis' && scheme !== 'rediss') {
    const reason = scheme ? `"${scheme}://" is not a Redis URL` : 'no scheme';
    throw invalidUrl('CACHE_BUS_URL', url, reason, BUS_URL_FORMS);
  }
  return redisOptions('CACHE_BUS_URL', url, BUS_URL_FORMS);
}

/** What comes before `://`, lower case; empty when there is none. */
function schemeOf(url: string): string {
  return url.slice(0, Math.max(url.indexOf('://'), 0)).toLowerCase();
}

function redisOptions(
  variable: string,
  url: string,
  forms: string,
): NonNullable<CacheModuleOptions['redis']> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidUrl(variable, url, 'not a valid URL', forms);
  }
  if (!parsed.hostname) throw invalidUrl(variable, url, 'no host', forms);
  return { url };
}

function invalidUrl(variable: string, url: string, reason: string, forms: string): Error {
  return new Error(`Invalid ${variable} ${JSON.stringify(redact(url))}: ${reason}. Use ${forms}.`);
}

/** Never echo a password into a log. */
function redact(url: string): string {
  return url.replace(/\/\/([^@/]*):[^@/]*@/, '//$1:***@');
}
