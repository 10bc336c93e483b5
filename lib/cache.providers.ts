import { Logger, type Provider } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModulesContainer } from '@nestjs/core';
import { DEFAULT_CACHE_NAME, getCacheToken } from './cache.constants.js';
import { DistributedCacheClient } from './client/distributed-cache.client.js';
import { SafeStore } from './client/safe-store.js';
import { CacheInterceptionService } from './interception/cache-interception.service.js';
import type { CacheModuleOptions } from './interfaces/cache-module-options.interface.js';
import { validateOptions, type ResolvedCacheOptions } from './options/validate-options.js';
import { FailureLog } from './resilience/failure-log.js';
import { DecodedMemo } from './serialization/decoded-memo.js';
import { EntryCodec } from './serialization/entry-codec.js';
import { MemoryStore } from './stores/memory.store.js';
import type { CacheStore } from './stores/cache-store.interface.js';
import { createStore } from './stores/create-store.js';
import type { RedisStore } from './stores/redis.store.js';
import { CACHE_DEFAULTS } from './options/cache-defaults.js';
import { busChannel, InvalidationBus } from './tiers/invalidation-bus.js';
import { LocalTier } from './tiers/local-tier.js';
import { TwoTiers } from './tiers/two-tiers.js';
import { ValueEnvelope } from './serialization/value-envelope.js';

/** Validated options of one module instance. */
export const RESOLVED_OPTIONS = Symbol('nestjs-distributed-cache:resolved-options');
/** The store driver of one module instance (exported as `getCacheStoreToken(name)`). */
export const STORE = Symbol('nestjs-distributed-cache:module-store');
/** The client of one module instance (exported as `getCacheToken(name)`). */
export const CLIENT = Symbol('nestjs-distributed-cache:module-client');

/** The providers of one `CacheModule` instance, serving the cache `name` with the options under `optionsToken`. */
export function cacheProviders(name: string, optionsToken: string | symbol): Provider[] {
  return [
    {
      provide: RESOLVED_OPTIONS,
      // `name` is a module extra, which Nest strips from the options: it decides the default keyPrefix.
      useFactory: (options?: CacheModuleOptions) =>
        validateOptions(name === DEFAULT_CACHE_NAME ? options : { ...options, name }),
      inject: [optionsToken],
    },
    {
      provide: STORE,
      useFactory: async (options: ResolvedCacheOptions) => {
        const store = createStore(options);
        await store.ready?.();
        return store;
      },
      inject: [RESOLVED_OPTIONS],
    },
    {
      provide: CLIENT,
      useFactory: async (options: ResolvedCacheOptions, store: CacheStore) => {
        const tiers = createTiers(options, store, name);
        await tiers?.ready(CACHE_DEFAULTS.redis.connectTimeout);
        return createClient(options, store, tiers);
      },
      inject: [RESOLVED_OPTIONS, STORE],
    },
    {
      provide: CacheInterceptionService,
      useFactory: (
        client: DistributedCacheClient,
        modules: ModulesContainer,
        discovery: DiscoveryService,
        scanner: MetadataScanner,
      ) => new CacheInterceptionService(name, client, modules, discovery, scanner),
      // The public token, not CLIENT: a client put in by `overrideProvider` is the one decorated
      // methods use.
      inject: [getCacheToken(name), ModulesContainer, DiscoveryService, MetadataScanner],
    },
  ];
}

/**
 * The L1 tier and its bus, when `l1` is on. The bus publishes on the Redis cache's own connection
 * and opens one more to subscribe; a bus on another Redis opens both.
 */
function createTiers(
  options: ResolvedCacheOptions,
  store: CacheStore,
  name: string,
): TwoTiers | undefined {
  const { tiers } = options;
  if (!tiers) return undefined;
  const logger = new Logger(`CacheClient ${name}`);
  const redis = tiers.bus === 'store' ? { client: (store as RedisStore).connection } : tiers.bus;
  const bus =
    redis &&
    new InvalidationBus({
      redis,
      channel: busChannel(options.keyPrefix),
      commandTimeout: options.commandTimeout,
    });
  const l1 = new LocalTier({ ...tiers.l1, trusted: !bus });
  if (!bus) {
    logger.warn(
      `The L1 of cache "${name}" has no invalidation bus: a change made on another app server is seen here only when the L1 copy expires (l1.ttl). Give bus: { redis } to keep every L1 current.`,
    );
  }
  return new TwoTiers(name, l1, bus, logger, () => store.clearedElsewhere?.());
}

function createClient(
  options: ResolvedCacheOptions,
  store: CacheStore,
  tiers?: TwoTiers,
): DistributedCacheClient {
  const failures = new FailureLog(new Logger('CacheClient'));
  const safe = new SafeStore(store, failures, options);
  store.onFailure?.((operation, error) => safe.report(`${store.name} ${operation}`, error));
  const codec = new EntryCodec(options.serializer);
  const memo =
    store instanceof MemoryStore && codec.copyable
      ? new DecodedMemo(codec, {
          maxEntries: store.maxEntries,
          maxSize: options.store === 'memory' ? options.memory.maxSize : undefined,
        })
      : undefined;
  return new DistributedCacheClient(safe, codec, options.ttlMs, memo, {
    tagVersions: tagVersionStore(store, failures, options),
    maxValueSize: options.maxValueSize,
    name: options.name ?? DEFAULT_CACHE_NAME,
    clone: options.clone,
    tiers,
    loads: options.load,
    envelope: options.envelope && new ValueEnvelope(options.envelope),
    loaderLog: new FailureLog(new Logger('CacheClient')),
  });
}

/**
 * On the memory store, tag versions go to an LRU of their own with the same bounds: counted with
 * the entries, the 10,000 versions of one entry's tags would evict every entry (and itself). An
 * evicted version makes the entries carrying its tag miss, never hit stale.
 */
function tagVersionStore(
  store: CacheStore,
  failures: FailureLog,
  options: ResolvedCacheOptions,
): SafeStore | undefined {
  if (!(store instanceof MemoryStore)) return undefined;
  const maxSize = options.store === 'memory' ? options.memory.maxSize : undefined;
  return new SafeStore(
    new MemoryStore({ maxEntries: store.maxEntries, maxSize }),
    failures,
    options,
  );
}
