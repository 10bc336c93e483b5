import {
  MEMCACHED_DEFAULT_PORT,
  parseServerAddress,
  type MemcachedServerAddress,
} from '../stores/memcached/server-address.js';
import { optionError } from './option-checks.js';

/** What `memcached.url` says: the pool, and SASL credentials when it has them. */
export interface MemcachedUrl {
  servers: MemcachedServerAddress[];
  username?: string;
  password?: string;
}

const SCHEME = 'memcached://';
const URL_FORM =
  "Use memcached://[user:password@]host[:port][,host[:port]…], for example 'memcached://10.0.0.1:11211,10.0.0.2:11211' (user and password URL-encoded).";

/**
 * `memcached://[user:password@]h1[:p1][,h2[:p2]…]`: port 11211 when left out, `host:port:weight`
 * as in `servers`, user and password URL-decoded. Anything else is refused, naming `memcached.url`.
 */
export function parseMemcachedUrl(url: unknown): MemcachedUrl {
  if (typeof url !== 'string' || !url.toLowerCase().startsWith(SCHEME)) {
    const redis = typeof url === 'string' && /^rediss?:\/\//i.test(url);
    const forRedis = " For Redis, use store: 'redis' with redis.url.";
    throw optionError('memcached.url', url, URL_FORM + (redis ? forRedis : ''));
  }
  const rest = url.slice(SCHEME.length).replace(/\/$/, '');
  const at = rest.lastIndexOf('@');
  const servers = rest
    .slice(at + 1)
    .split(',')
    .map((server) => parseServerAddress(server, MEMCACHED_DEFAULT_PORT));
  if (!servers.every((server) => server !== undefined)) {
    throw optionError('memcached.url', url, URL_FORM);
  }
  return { servers, ...(at < 0 ? {} : credentials(url, rest.slice(0, at))) };
}

function credentials(url: string, userInfo: string): { username: string; password: string } {
  const colon = userInfo.indexOf(':');
  try {
    if (colon > 0) {
      return {
        username: decodeURIComponent(userInfo.slice(0, colon)),
        password: decodeURIComponent(userInfo.slice(colon + 1)),
      };
    }
  } catch {
    // A malformed %-escape: refused below like a missing password.
  }
  throw optionError(
    'memcached.url',
    url,
    `Credentials are user:password (URL-encoded). ${URL_FORM}`,
  );
}
