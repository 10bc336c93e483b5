import {
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_KEY_PREFIX,
  DEFAULT_READ_RETRIES,
} from '../cache.constants.js';
import { CacheOptionsError } from '../errors.js';
import type {
  CacheModuleOptions,
  CacheSerializer,
  MemcachedConnectionOptions,
  MemoryStoreOptions,
  RedisConnectionOptions,
  StoreName,
} from '../interfaces/cache-module-options.interface.js';
import { faithfulSerializer } from '../serialization/faithful.serializer.js';
import type { CacheStore } from '../stores/cache-store.interface.js';
import { parseServerAddress } from '../stores/memcached/server-address.js';
import { toTtlMs } from '../utils/ttl.js';

/** Options after validation: defaults applied, TTL in milliseconds. */
export interface ResolvedCacheOptions {
  store: StoreName | CacheStore;
  redis: RedisConnectionOptions;
  memcached: MemcachedConnectionOptions;
  memory: MemoryStoreOptions;
  ttlMs: number | undefined;
  keyPrefix: string;
  commandTimeout: number;
  readRetries: number;
  serializer: CacheSerializer;
  clone: boolean;
}

const KNOWN = new Set([
  'store',
  'redis',
  'memcached',
  'memory',
  'ttl',
  'keyPrefix',
  'commandTimeout',
  'readRetries',
  'serializer',
  'clone',
  'isGlobal',
]);
const STORES: readonly StoreName[] = ['memory', 'redis', 'memcached'];

/** Checks every option once, at startup; the error names the option, the value and the fix. */
export function validateOptions(options: CacheModuleOptions = {}): ResolvedCacheOptions {
  if (typeof options !== 'object' || options === null) {
    throw new CacheOptionsError(
      '(options)',
      options,
      'Pass an object, or nothing for the memory store.',
    );
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key))
      throw new CacheOptionsError(
        key,
        options[key as keyof CacheModuleOptions],
        `Unknown option; known options are: ${[...KNOWN].join(', ')}.`,
      );
  }
  const store = storeOf(options);
  return {
    store,
    redis: store === 'redis' ? checkRedis(options.redis) : (options.redis ?? {}),
    memcached:
      store === 'memcached' ? checkMemcached(options.memcached) : (options.memcached ?? {}),
    memory: checkMemory(options.memory ?? {}),
    ttlMs: toTtlMs(options.ttl, 'option "ttl"'),
    keyPrefix: checkKeyPrefix(options.keyPrefix ?? DEFAULT_KEY_PREFIX),
    commandTimeout: positive(
      'commandTimeout',
      options.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT_MS,
    ),
    readRetries: wholeNumber('readRetries', options.readRetries ?? DEFAULT_READ_RETRIES, 0),
    serializer: checkSerializer(options.serializer ?? faithfulSerializer),
    clone: checkBoolean('clone', options.clone ?? true),
  };
}

function storeOf(options: CacheModuleOptions): StoreName | CacheStore {
  const { store } = options;
  if (store === undefined)
    return options.redis ? 'redis' : options.memcached ? 'memcached' : 'memory';
  if (typeof store === 'string' && (STORES as readonly string[]).includes(store)) return store;
  if (isCacheStore(store)) return store;
  throw new CacheOptionsError(
    'store',
    store,
    `Use one of ${STORES.map((s) => `'${s}'`).join(', ')}, or a CacheStore object.`,
  );
}

function isCacheStore(value: unknown): value is CacheStore {
  const candidate = value as Partial<CacheStore> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    ['get', 'getMany', 'set', 'setMany', 'delete', 'deleteMany', 'clear', 'close'].every(
      (method) => typeof (candidate as Record<string, unknown>)[method] === 'function',
    )
  );
}

function checkRedis(redis: RedisConnectionOptions | undefined): RedisConnectionOptions {
  if (!redis || typeof redis !== 'object') {
    throw new CacheOptionsError(
      'redis',
      redis,
      "store 'redis' needs redis: { url } (or host/port, cluster, sentinel, client).",
    );
  }
  if (redis.url !== undefined) checkUrl('redis.url', redis.url, ['redis:', 'rediss:']);
  if (redis.port !== undefined) port('redis.port', redis.port);
  if (redis.db !== undefined) wholeNumber('redis.db', redis.db, 0);
  if (
    redis.cluster !== undefined &&
    !(Array.isArray(redis.cluster.nodes) && redis.cluster.nodes.length > 0)
  ) {
    throw new CacheOptionsError(
      'redis.cluster.nodes',
      redis.cluster.nodes,
      'List at least one node: [{ host, port }].',
    );
  }
  if (redis.sentinel !== undefined) {
    const { sentinels, name } = redis.sentinel;
    if (!Array.isArray(sentinels) || sentinels.length === 0)
      throw new CacheOptionsError(
        'redis.sentinel.sentinels',
        sentinels,
        'List at least one sentinel: [{ host, port }].',
      );
    if (typeof name !== 'string' || !name)
      throw new CacheOptionsError(
        'redis.sentinel.name',
        name,
        'Give the name of the master the sentinels monitor.',
      );
  }
  return redis;
}

function checkMemcached(
  memcached: MemcachedConnectionOptions | undefined,
): MemcachedConnectionOptions {
  if (memcached?.client) return memcached;
  const servers = memcached?.servers;
  if (!Array.isArray(servers) || servers.length === 0) {
    throw new CacheOptionsError(
      'memcached.servers',
      servers,
      "List at least one server: ['host:port', ...] or ['host:port:weight', ...].",
    );
  }
  servers.forEach((server, i) => checkServer(`memcached.servers[${i}]`, server));
  const { maxValueSize, ejectAfterFailures, retryEjectedAfterMs } = memcached!;
  if (maxValueSize !== undefined) positive('memcached.maxValueSize', maxValueSize);
  if (ejectAfterFailures !== undefined)
    wholeNumber('memcached.ejectAfterFailures', ejectAfterFailures, 0);
  if (retryEjectedAfterMs !== undefined)
    positive('memcached.retryEjectedAfterMs', retryEjectedAfterMs);
  return memcached!;
}

/** `host:port` or `host:port:weight` (port 1–65535, weight a whole number ≥ 1). */
function checkServer(option: string, server: unknown) {
  const parsed = parseServerAddress(server);
  if (parsed?.hasPort && !(server as string).includes('@')) return;
  throw new CacheOptionsError(
    option,
    server,
    "Use 'host:port' or 'host:port:weight' with a port from 1 to 65535 and a whole-number weight of at least 1, for example '127.0.0.1:11211' or '127.0.0.1:11212:2'.",
  );
}

function checkMemory(memory: MemoryStoreOptions): MemoryStoreOptions {
  if (memory.maxEntries !== undefined) wholeNumber('memory.maxEntries', memory.maxEntries, 1);
  if (memory.maxSize !== undefined) wholeNumber('memory.maxSize', memory.maxSize, 1);
  return memory;
}

function checkUrl(option: string, url: unknown, protocols: string[]) {
  let parsed: URL | undefined;
  try {
    parsed = typeof url === 'string' ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || !protocols.includes(parsed.protocol) || !parsed.hostname) {
    throw new CacheOptionsError(
      option,
      url,
      `Use ${protocols.map((p) => `${p}//host:port`).join(' or ')}.`,
    );
  }
  if (parsed.port) port(option, Number(parsed.port));
}

function checkKeyPrefix(prefix: unknown): string {
  if (typeof prefix === 'string' && prefix.length > 0) return prefix;
  throw new CacheOptionsError(
    'keyPrefix',
    prefix,
    "Use a non-empty string such as 'cache:'; clear() removes exactly this namespace.",
  );
}

function checkSerializer(serializer: CacheSerializer): CacheSerializer {
  if (typeof serializer?.serialize === 'function' && typeof serializer.deserialize === 'function')
    return serializer;
  throw new CacheOptionsError(
    'serializer',
    serializer,
    'Give an object with serialize(value) and deserialize(text).',
  );
}

function checkBoolean(option: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  throw new CacheOptionsError(option, value, 'Use true or false.');
}

function port(option: string, value: unknown): number {
  return wholeNumber(option, value, 1, 65535);
}

function positive(option: string, value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  throw new CacheOptionsError(option, value, 'Use a number greater than 0.');
}

function wholeNumber(
  option: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (Number.isInteger(value) && (value as number) >= min && (value as number) <= max)
    return value as number;
  throw new CacheOptionsError(
    option,
    value,
    `Use a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}.`,
  );
}
