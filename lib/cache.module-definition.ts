import { ConfigurableModuleBuilder } from '@nestjs/common';
import { CACHE_MODULE_OPTIONS, getCacheStoreToken, getCacheToken } from './cache.constants.js';
import { cacheProviders, CLIENT, STORE } from './cache.providers.js';
import type { CacheModuleOptions } from './interfaces/cache-module-options.interface.js';
import { CACHE_DEFAULTS } from './options/cache-defaults.js';
import { checkCacheName } from './options/cache-name.js';
import { checkIsGlobal } from './options/validate-options.js';

export { CACHE_MODULE_OPTIONS };

export const { ConfigurableModuleClass, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<CacheModuleOptions>({
    moduleName: 'DistributedCache',
    optionsInjectionToken: CACHE_MODULE_OPTIONS,
  })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createCacheOptions')
    .setExtras(
      { isGlobal: CACHE_DEFAULTS.isGlobal as boolean, name: undefined as string | undefined },
      (definition, { isGlobal, name }) => {
        const cacheName = checkCacheName(name);
        const client = getCacheToken(name);
        const store = getCacheStoreToken(name);
        return {
          ...definition,
          global: checkIsGlobal(isGlobal),
          providers: [
            ...(definition.providers ?? []),
            ...cacheProviders(cacheName, CACHE_MODULE_OPTIONS),
            { provide: client, useExisting: CLIENT },
            { provide: store, useExisting: STORE },
          ],
          exports: [client, store],
        };
      },
    )
    .build();
