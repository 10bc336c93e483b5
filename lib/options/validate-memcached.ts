import type { Client as MemjsClient } from 'memjs';
import type { MemcachedConnectionOptions } from '../interfaces/cache-module-options.interface.js';
import { assertKeyPrefix } from '../stores/memcached/key-mapper.js';
import { parseServerAddress } from '../stores/memcached/server-address.js';
import { CACHE_DEFAULTS } from './cache-defaults.js';
import { parseMemcachedUrl, type MemcachedUrl } from './memcached-url.js';
import {
  definedOnly,
  optionError,
  positiveNumber,
  refuseBeside,
  section,
  text,
  wholeNumber,
  type OptionBag,
} from './option-checks.js';
import type { MemcachedSettings } from './resolved-options.js';
import { refuseUnknownKeys } from './unknown-keys.js';

const MEMCACHED_KEYS = {
  url: true,
  servers: true,
  username: true,
  password: true,
  maxValueSize: true,
  namespaceRefreshMs: true,
  connectTimeout: true,
  ejectAfterFailures: true,
  retryEjectedAfterMs: true,
  client: true,
  poolSize: true,
} satisfies Record<keyof MemcachedConnectionOptions, true>;

const SERVER_FORM =
  "Use 'host:port' or 'host:port:weight' with a port from 1 to 65535 and a whole-number weight of at least 1, for example '127.0.0.1:11211' or '127.0.0.1:11212:2'.";
const NO_CREDENTIALS =
  "Credentials do not go in a server address: give memcached.username and memcached.password (or memcached.url 'memcached://user:password@host:port,…').";

/** The `memcached` section, checked and with its defaults: what `MemcachedStore` takes. */
export function resolveMemcached(
  value: unknown,
  keyPrefix: string,
  maxValueSize: number = CACHE_DEFAULTS.maxValueSize,
): MemcachedSettings {
  const memcached = section(
    'memcached',
    value,
    "{ servers: ['10.0.0.1:11211'] } or { url: 'memcached://10.0.0.1:11211' }",
  );
  refuseUnknownKeys('memcached', memcached, { keys: new Set(Object.keys(MEMCACHED_KEYS)) });
  refuseContradictions(memcached);
  assertKeyPrefix(keyPrefix);
  const pool = memcached.client !== undefined ? { servers: [] } : poolOf(memcached);
  const client = memcached.client !== undefined ? { client: checkClient(memcached.client) } : {};
  const settings = { ...pool, ...client, ...tuning(memcached, maxValueSize) };
  if (settings.client && settings.poolSize > 1) {
    throw optionError(
      'memcached.poolSize',
      settings.poolSize,
      'Not above 1 with memcached.client: a client of your own is used as is and cannot be cloned. Give memcached.servers (or url) instead of a client, or leave poolSize out.',
    );
  }
  return settings;
}

/** The numeric settings, each with its default. */
function tuning(memcached: OptionBag, maxValueSize: number) {
  const given = { maxValueSize, ...CACHE_DEFAULTS.memcached, ...definedOnly(memcached) };
  const option = (key: string) => `memcached.${key}`;
  return {
    maxValueSize: wholeNumber(option('maxValueSize'), given.maxValueSize, 1),
    namespaceRefreshMs: wholeNumber(option('namespaceRefreshMs'), given.namespaceRefreshMs, 0),
    connectTimeout: positiveNumber(option('connectTimeout'), given.connectTimeout),
    ejectAfterFailures: wholeNumber(option('ejectAfterFailures'), given.ejectAfterFailures, 0),
    retryEjectedAfterMs: positiveNumber(option('retryEjectedAfterMs'), given.retryEjectedAfterMs),
    poolSize: wholeNumber(option('poolSize'), given.poolSize, 1),
  };
}

function refuseContradictions(memcached: OptionBag): void {
  refuseBeside(
    'memcached',
    memcached,
    'client',
    ['url', 'servers', 'username', 'password'],
    'a client of your own is used as is: set this on that client instead.',
  );
  refuseBeside('memcached', memcached, 'url', ['servers'], 'give the pool one way only.');
}

/** The servers and credentials, from `servers` + `username`/`password` or from `url`. */
function poolOf(memcached: OptionBag): MemcachedUrl {
  const { url, servers } = memcached;
  if (url === undefined && servers === undefined) {
    throw optionError(
      'memcached.servers',
      servers,
      "List at least one server: ['host:port', ...], or give memcached.url or memcached.client.",
    );
  }
  const pool = url !== undefined ? parseMemcachedUrl(url) : { servers: checkServers(servers) };
  const username = checkCredential(memcached, 'username');
  const password = checkCredential(memcached, 'password');
  if (username === undefined && password === undefined) return pool;
  if (pool.username !== undefined) {
    throw optionError(
      username !== undefined ? 'memcached.username' : 'memcached.password',
      username ?? password,
      'memcached.url already has credentials: give them one way only.',
    );
  }
  if (username === undefined || password === undefined) {
    throw optionError(
      username === undefined ? 'memcached.username' : 'memcached.password',
      undefined,
      'SASL needs both memcached.username and memcached.password.',
    );
  }
  return { ...pool, username, password };
}

function checkServers(servers: unknown) {
  if (!Array.isArray(servers) || servers.length === 0) {
    throw optionError(
      'memcached.servers',
      servers,
      "List at least one server: ['host:port', ...] or ['host:port:weight', ...].",
    );
  }
  return servers.map((server, i) => {
    const parsed = parseServerAddress(server);
    if (parsed) return parsed;
    const hasCredentials = typeof server === 'string' && server.includes('@');
    throw optionError(
      `memcached.servers[${i}]`,
      hasCredentials ? server.replace(/^.*@/, '***@') : server,
      hasCredentials ? NO_CREDENTIALS : SERVER_FORM,
    );
  });
}

function checkCredential(memcached: OptionBag, key: 'username' | 'password'): string | undefined {
  const value = memcached[key];
  return value === undefined ? undefined : text(`memcached.${key}`, value);
}

function checkClient(client: unknown): MemjsClient {
  const candidate = client as { get?: unknown; set?: unknown; servers?: unknown } | null;
  if (typeof candidate?.get === 'function' && Array.isArray(candidate.servers))
    return client as MemjsClient;
  throw optionError('memcached.client', client, 'Give a memjs Client instance.');
}
