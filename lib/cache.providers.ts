import { Logger, type Provider } from '@nestjs/common';
import { CacheClient } from './cache-client.js';
import { CACHE_STORE } from './cache.constants.js';
import { CACHE_MODULE_OPTIONS } from './cache.module-definition.js';
import { DistributedCacheClient } from './client/distributed-cache.client.js';
import { SafeStore } from './client/safe-store.js';
import type { CacheModuleOptions } from './interfaces/cache-module-options.interface.js';
import { validateOptions, type ResolvedCacheOptions } from './options/validate-options.js';
import { FailureLog } from './resilience/failure-log.js';
import { DecodedMemo } from './serialization/decoded-memo.js';
import { EntryCodec } from './serialization/entry-codec.js';
import { MemoryStore } from './stores/memory.store.js';
import type { CacheStore } from './stores/cache-store.interface.js';
import { createStore } from './stores/create-store.js';

/** Validated options, each module instance its own. */
export const RESOLVED_OPTIONS = Symbol('nestjs-distributed-cache:resolved-options');

export const cacheProviders: Provider[] = [
  {
    provide: RESOLVED_OPTIONS,
    useFactory: (options?: CacheModuleOptions) => validateOptions(options),
    inject: [CACHE_MODULE_OPTIONS],
  },
  {
    provide: CACHE_STORE,
    useFactory: async (options: ResolvedCacheOptions) => {
      const store = createStore(options);
      await store.ready?.();
      return store;
    },
    inject: [RESOLVED_OPTIONS],
  },
  {
    provide: CacheClient,
    useFactory: (options: ResolvedCacheOptions, store: CacheStore) => {
      const failures = new FailureLog(new Logger('CacheClient'));
      const safe = new SafeStore(store, failures, options);
      store.onFailure?.((operation, error) => safe.report(`${store.name} ${operation}`, error));
      const codec = new EntryCodec(options.serializer);
      const memo =
        store instanceof MemoryStore && codec.copyable
          ? new DecodedMemo(codec, {
              maxEntries: store.maxEntries,
              maxSize: options.memory.maxSize,
            })
          : undefined;
      return new DistributedCacheClient(safe, codec, options.ttlMs, memo, { clone: options.clone });
    },
    inject: [RESOLVED_OPTIONS, CACHE_STORE],
  },
];
