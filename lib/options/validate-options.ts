import type {
  CacheModuleOptions,
  CacheSerializer,
  MemoryStoreOptions,
  StoreName,
} from '../interfaces/cache-module-options.interface.js';
import type { CacheStore } from '../stores/cache-store.interface.js';
import { toTtlMs } from '../utils/ttl.js';
import { isWellFormed } from '../utils/well-formed.js';
import { CACHE_DEFAULTS, defaultKeyPrefix } from './cache-defaults.js';
import {
  definedOnly,
  flag,
  optionError,
  positiveNumber,
  section,
  wholeNumber,
  type OptionBag,
} from './option-checks.js';
import type { MemorySettings, ResolvedCacheOptions, StoreSettings } from './resolved-options.js';
import { refuseUnknownKeys } from './unknown-keys.js';
import { resolveMemcached } from './validate-memcached.js';
import { resolveRedis } from './validate-redis.js';
import { resolveCircuitBreaker } from './validate-resilience.js';
import { resolveTiers } from './validate-tiers.js';
import { resolveEnvelope } from './validate-envelope.js';
import {
  DEFAULT_LOAD_POLICY,
  RESILIENCE_KEYS,
  resolveLoadPolicy,
} from '../resilience/load-policy.js';

export type { ResolvedCacheOptions } from './resolved-options.js';

const TOP_KEYS = {
  name: true,
  store: true,
  redis: true,
  memcached: true,
  memory: true,
  ttl: true,
  keyPrefix: true,
  commandTimeout: true,
  maxValueSize: true,
  readRetries: true,
  circuitBreaker: true,
  serializer: true,
  clone: true,
  l1: true,
  bus: true,
  compression: true,
  encryption: true,
  isGlobal: true,
  ...RESILIENCE_KEYS,
} satisfies Record<keyof CacheModuleOptions, true>;
const MEMORY_KEYS = { maxEntries: true, maxSize: true } satisfies Record<
  keyof MemoryStoreOptions,
  true
>;
const STORES: readonly StoreName[] = ['memory', 'redis', 'memcached'];

/**
 * Checks every option once, at startup, for `forRoot` and `forRootAsync` alike, and resolves them:
 * defaults applied, TTL in milliseconds, the chosen store's settings ready for its driver. The
 * error names the option's full path, the value and the fix.
 */
export function validateOptions(input: CacheModuleOptions = {}): ResolvedCacheOptions {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw optionError('(options)', input, 'Pass an object, or nothing for the memory store.');
  }
  const options = input as OptionBag;
  refuseUnknownKeys('', options, { keys: new Set(Object.keys(TOP_KEYS)) });
  if (input.isGlobal !== undefined) checkIsGlobal(input.isGlobal);
  const name = input.name === undefined ? undefined : checkName(input.name);
  const keyPrefix = checkKeyPrefix(input.keyPrefix ?? defaultKeyPrefix(name));
  const { commandTimeout, readRetries, clone } = { ...CACHE_DEFAULTS, ...definedOnly(options) };
  const maxValueSize = wholeNumber(
    'maxValueSize',
    input.maxValueSize ?? CACHE_DEFAULTS.maxValueSize,
    1,
  );
  const store = resolveStore(input, keyPrefix, maxValueSize);
  return {
    ...store,
    name,
    ttlMs: toTtlMs(input.ttl ?? CACHE_DEFAULTS.ttl, 'option "ttl"'),
    keyPrefix,
    commandTimeout: positiveNumber('commandTimeout', commandTimeout),
    maxValueSize,
    readRetries: wholeNumber('readRetries', readRetries, 0),
    circuitBreaker: resolveCircuitBreaker(input.circuitBreaker),
    serializer: checkSerializer(input.serializer ?? CACHE_DEFAULTS.serializer),
    clone: flag('clone', clone),
    tiers: resolveTiers(input, store.store),
    load: resolveLoadPolicy(input, DEFAULT_LOAD_POLICY, ''),
    envelope: resolveEnvelope(input),
  };
}

/**
 * `isGlobal`: Nest reads it from `forRoot(options)` / `forRootAsync({ isGlobal })` when it defines
 * the module (`cache.module-definition.ts`), before `validateOptions` runs, and strips it there.
 */
export function checkIsGlobal(isGlobal: unknown): boolean {
  return flag('isGlobal', isGlobal);
}

function resolveStore(
  options: CacheModuleOptions,
  keyPrefix: string,
  maxValueSize: number,
): StoreSettings {
  const store = storeOf(options);
  refuseOtherSections(options, store);
  switch (store) {
    case 'memory':
      return { store, memory: resolveMemory(options.memory) };
    case 'redis':
      return { store, redis: resolveRedis(options.redis) };
    case 'memcached':
      return { store, memcached: resolveMemcached(options.memcached, keyPrefix, maxValueSize) };
    default:
      return { store };
  }
}

function storeOf(options: CacheModuleOptions): StoreName | CacheStore {
  const { store } = options;
  if (store === undefined) {
    if (options.redis !== undefined && options.memcached !== undefined) {
      throw optionError(
        'store',
        store,
        "Both redis and memcached are given: set store to 'redis' or 'memcached' and remove the other section.",
      );
    }
    if (options.redis !== undefined) return 'redis';
    return options.memcached !== undefined ? 'memcached' : 'memory';
  }
  if (typeof store === 'string' && (STORES as readonly string[]).includes(store)) return store;
  if (isCacheStore(store)) return store;
  throw optionError(
    'store',
    store,
    `Use one of ${STORES.map((s) => `'${s}'`).join(', ')}, or a CacheStore object.`,
  );
}

/** The section of a store that is not the chosen one would be ignored: refuse it instead. */
function refuseOtherSections(options: CacheModuleOptions, store: StoreName | CacheStore): void {
  const chosen = typeof store === 'string' ? `'${store}'` : 'your own CacheStore';
  for (const other of STORES) {
    if (other === store || options[other] === undefined) continue;
    throw optionError(
      other,
      options[other],
      `The store is ${chosen}, which does not use the ${other} options: remove them, or set store: '${other}'.`,
    );
  }
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

function resolveMemory(value: unknown = {}): MemorySettings {
  const memory = section('memory', value, '{ maxEntries: 10000 }');
  refuseUnknownKeys('memory', memory, { keys: new Set(Object.keys(MEMORY_KEYS)) });
  const { maxEntries = CACHE_DEFAULTS.memory.maxEntries, maxSize } = definedOnly(memory);
  return {
    maxEntries: wholeNumber('memory.maxEntries', maxEntries, 1),
    ...(maxSize === undefined ? {} : { maxSize: wholeNumber('memory.maxSize', maxSize, 1) }),
  };
}

export function checkName(name: unknown): string {
  if (typeof name === 'string' && /^[^\s\p{Cc}]+$/u.test(name)) return name;
  throw optionError(
    'name',
    name,
    "Use a non-empty name without spaces, such as 'sessions' (or leave it out for the default cache).",
  );
}

function checkKeyPrefix(prefix: unknown): string {
  if (typeof prefix === 'string' && prefix.length > 0 && isWellFormed(prefix)) return prefix;
  throw optionError(
    'keyPrefix',
    prefix,
    "Use a non-empty string such as 'cache:', without lone UTF-16 surrogates (it goes into every key as UTF-8); clear() removes exactly this namespace.",
  );
}

function checkSerializer(serializer: CacheSerializer): CacheSerializer {
  if (typeof serializer?.serialize === 'function' && typeof serializer.deserialize === 'function')
    return serializer;
  throw optionError(
    'serializer',
    serializer,
    'Give an object with serialize(value) and deserialize(text).',
  );
}
