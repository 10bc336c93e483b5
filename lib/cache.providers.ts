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
      useFactory: (options: ResolvedCacheOptions, store: CacheStore) =>
        createClient(options, store),
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

function createClient(options: ResolvedCacheOptions, store: CacheStore): DistributedCacheClient {
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
  return new DistributedCacheClient(safe, codec, options.ttlMs, memo, { clone: options.clone });
}
