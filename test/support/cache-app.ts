import { Test, type TestingModule } from '@nestjs/testing';
import type { Provider, Type } from '@nestjs/common';
import {
  CACHE_STORE,
  CacheClient,
  CacheModule,
  type CacheModuleOptions,
  type CacheStore,
} from '../../lib/index.js';

/** A Nest app context built the way a user builds one, with the cache module and some services. */
export interface CacheApp {
  module: TestingModule;
  client: CacheClient;
  /** The driver below the client, for writing what a foreign process would write. */
  store: CacheStore;
  get<T>(type: Type<T>): T;
  close(): Promise<void>;
}

export async function startCacheApp(
  options: CacheModuleOptions,
  providers: Provider[] = [],
): Promise<CacheApp> {
  const module = await Test.createTestingModule({
    imports: [CacheModule.forRoot(options)],
    providers,
  }).compile();
  try {
    await module.init();
  } catch (error) {
    await module.close().catch(() => undefined);
    throw error;
  }
  return {
    module,
    client: module.get(CacheClient),
    store: module.get(CACHE_STORE),
    get: (type) => module.get(type),
    close: () => module.close(),
  };
}

/** Backend under test: module options for a fresh namespace on the suite's servers. */
export interface BackendFixture {
  options(keyPrefix: string): CacheModuleOptions;
  teardown(): Promise<void>;
}

export interface BackendSpec {
  /** The store name `stats()` reports. */
  name: string;
  /** Whether two app instances on the same prefix share one server (not so for memory). */
  shared: boolean;
  /**
   * Whether the options turn on the L1 tier: a change made through one app server reaches the
   * others' L1 over the bus, a moment after the call that made it returns.
   */
  l1?: boolean;
  /** Starts the servers (in `beforeAll`). */
  setup(): Promise<BackendFixture>;
}

/**
 * Behaviour suites are not about timeouts: a generous `commandTimeout` keeps a loaded machine from
 * turning a slow answer into a miss (fault tests set their own short one).
 */
export function patient(options: CacheModuleOptions): CacheModuleOptions {
  return { commandTimeout: 2000, ...options };
}

let namespaces = 0;
export const freshPrefix = () => `it${process.pid}-${++namespaces}:`;
