import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ConfigurableModuleClass, OPTIONS_TYPE } from './cache.module-definition.js';
import { CLIENT, STORE } from './cache.providers.js';
import type { DistributedCacheClient } from './client/distributed-cache.client.js';
import type { CacheStore } from './stores/cache-store.interface.js';

/**
 * `CacheModule.forRoot(options?)` / `CacheModule.forRootAsync({ useFactory, inject, imports })`,
 * each with an optional `name` (named caches: as many as an app needs). No options: the
 * in-process memory store.
 */
@Module({ imports: [DiscoveryModule] })
export class CacheModule extends ConfigurableModuleClass implements OnApplicationShutdown {
  constructor(
    @Inject(STORE) private readonly store: CacheStore,
    @Inject(CLIENT) private readonly client: DistributedCacheClient,
  ) {
    super();
  }

  /** No options: the in-process memory store. */
  static override forRoot(options: typeof OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
    await this.store.close();
  }
}
