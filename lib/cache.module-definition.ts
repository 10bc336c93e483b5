import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { CacheModuleOptions } from './interfaces/cache-module-options.interface.js';

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: CACHE_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<CacheModuleOptions>({ moduleName: 'DistributedCache' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createCacheOptions')
  .setExtras({ isGlobal: false }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();
