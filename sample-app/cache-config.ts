import type { CacheModuleOptions } from 'nestjs-distributed-cache';

/** The environment variables that choose and tune the sample app's cache. */
export interface CacheEnv {
  /** Unset: the in-process memory store. `redis://…`, `rediss://…` or `memcached://h1:p1,h2:p2`. */
  CACHE_URL?: string;
  /** Default TTL: seconds (`'300'`) or a duration (`'500ms'`, `'30s'`, `'5m'`, `'1h'`, `'1d'`). */
  CACHE_TTL?: string;
  /** Namespace of every key; instances that should share entries use the same one. */
  CACHE_KEY_PREFIX?: string;
}

export const DEFAULT_CACHE_TTL = '5m';
export const DEFAULT_CACHE_KEY_PREFIX = 'sample-app:';
const URL_FORMS = 'redis://host:port, rediss://host:port or memcached://host:port[,host:port…]';
const TTL_PATTERN = /^\d+(\.\d+)?(ms|s|m|h|d)?$/;

/** The `CacheModule` options for an environment: the store from `CACHE_URL`, TTL and key prefix. */
export function cacheOptionsFromEnv(env: CacheEnv): CacheModuleOptions {
  return {
    ...storeOptionsFromUrl(env.CACHE_URL),
    ttl: parseCacheTtl(env.CACHE_TTL),
    keyPrefix: env.CACHE_KEY_PREFIX?.trim() || DEFAULT_CACHE_KEY_PREFIX,
  };
}

/** `undefined` or empty: the memory store; otherwise the Redis or Memcached store the URL names. */
export function storeOptionsFromUrl(url: string | undefined): CacheModuleOptions {
  const value = url?.trim();
  if (!value) return { store: 'memory' };
  const scheme = value.slice(0, Math.max(value.indexOf('://'), 0)).toLowerCase();
  if (scheme === 'redis' || scheme === 'rediss')
    return { store: 'redis', redis: redisOptions(value) };
  // The package parses and checks memcached://[user:pass@]h1[:p1],h2[:p2] itself (memcached.url).
  if (scheme === 'memcached') return { store: 'memcached', memcached: { url: value } };
  throw invalidUrl(value, scheme ? `unknown scheme "${scheme}://"` : 'no scheme');
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

function redisOptions(url: string): NonNullable<CacheModuleOptions['redis']> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidUrl(url, 'not a valid URL');
  }
  if (!parsed.hostname) throw invalidUrl(url, 'no host');
  return { url };
}

function invalidUrl(url: string, reason: string): Error {
  return new Error(
    `Invalid CACHE_URL ${JSON.stringify(redact(url))}: ${reason}. Use ${URL_FORMS}.`,
  );
}

/** Never echo a password into a log. */
function redact(url: string): string {
  return url.replace(/\/\/([^@/]*):[^@/]*@/, '//$1:***@');
}
