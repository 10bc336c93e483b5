import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CacheClient } from './cache-client.js';
import { CACHE_STORE } from './cache.constants.js';
import { ConfigurableModuleClass, OPTIONS_TYPE } from './cache.module-definition.js';
import { cacheProviders } from './cache.providers.js';
import { CacheInterceptionService } from './interception/cache-interception.service.js';
import type { CacheStore } from './stores/cache-store.interface.js';

/**
 * `CacheModule.forRoot(options?)` / `CacheModule.forRootAsync({ useFactory, inject, imports })`.
 * No options: the in-process memory store.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [...cacheProviders, CacheInterceptionService],
  exports: [CacheClient, CACHE_STORE],
})
export class CacheModule extends ConfigurableModuleClass implements OnApplicationShutdown {
  constructor(@Inject(CACHE_STORE) private readonly store: CacheStore) {
    super();
  }

  /** No options: the in-process memory store. */
  static override forRoot(options: typeof OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
