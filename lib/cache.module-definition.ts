import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { CacheModuleOptions } from './interfaces/cache-module-options.interface.js';
import { CACHE_DEFAULTS } from './options/cache-defaults.js';
import { checkIsGlobal } from './options/validate-options.js';

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: CACHE_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<CacheModuleOptions>({ moduleName: 'DistributedCache' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createCacheOptions')
  .setExtras<{ isGlobal: boolean }>(
    { isGlobal: CACHE_DEFAULTS.isGlobal },
    (definition, extras) => ({
      ...definition,
      global: checkIsGlobal(extras.isGlobal),
    }),
  )
  .build();
