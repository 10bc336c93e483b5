import type { INestApplication, Provider, Type } from '@nestjs/common';
import { ContextIdFactory, LazyModuleLoader, ModuleRef } from '@nestjs/core';
import { Test, type TestingModule } from '@nestjs/testing';
import { firstValueFrom, isObservable, lastValueFrom } from 'rxjs';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CacheClient,
  CacheModule,
  getCacheToken,
  type CacheModuleOptions,
} from '../../lib/index.js';
import { freshPrefix, patient, type BackendFixture, type BackendSpec } from './cache-app.js';
import { SyncService } from './decorated-services.js';
import {
  CheckoutService,
  DefaultCacheService,
  ForRequest,
  LazyStatsModule,
  LazyStatsService,
  Loads,
  MissingCacheService,
  ObservableService,
  OrdersRepository,
  PricingService,
  Profile,
  ProfilesService,
  QuoteService,
  ReportBuilder,
  RequestCatalog,
  ScopedController,
  SessionsService,
  ThrowingCallbacks,
  UsersRepository,
  UsesRequestCatalog,
} from './real-app-services.js';

const APP_PROVIDERS: Provider[] = [
  Loads,
  PricingService,
  UsersRepository,
  OrdersRepository,
  CheckoutService,
  QuoteService,
  RequestCatalog,
  ForRequest,
  UsesRequestCatalog,
  SessionsService,
  DefaultCacheService,
  ThrowingCallbacks,
  ObservableService,
  ProfilesService,
];

/**
 * An app as users write them — inheritance, transient, request-scoped, lazily loaded and
 * `moduleRef.create`d providers, a default and two named caches, a testing-module override — run
 * against one real backend.
 */
export function describeRealApps(spec: BackendSpec) {
  let backend: BackendFixture;
  let module: TestingModule;
  let loads: Loads;
  const closers: Array<() => Promise<unknown>> = [];

  const options = (extra: CacheModuleOptions = {}) =>
    patient({ ...backend.options(freshPrefix()), ...extra });

  async function startApp(providers: Provider[] = APP_PROVIDERS, controllers: Type[] = []) {
    const built = await Test.createTestingModule({
      imports: [
        CacheModule.forRoot(options()),
        CacheModule.forRoot({ name: 'sessions', ...options() }),
        CacheModule.forRoot({ name: 'catalog', ...options() }),
      ],
      providers,
      controllers,
    }).compile();
    closers.push(() => built.close());
    return built;
  }

  beforeAll(async () => {
    backend = await spec.setup();
  });
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });
  afterAll(async () => backend?.teardown());

  describe('in a real app', () => {
    beforeEach(async () => {
      module = await startApp();
      await module.init();
      loads = module.get(Loads);
    });

    it('gives each subclass its own entries of an inherited @Cacheable method', async () => {
      const users = module.get(UsersRepository);
      const orders = module.get(OrdersRepository);
      expect(await users.findById(1)).toEqual({ id: 1, kind: 'user' });
      expect(await orders.findById(1)).toEqual({ id: 1, kind: 'order' });
      expect(await orders.findById(1)).toEqual({ id: 1, kind: 'order' });
      expect(await users.findById(1)).toEqual({ id: 1, kind: 'user' });
      expect(loads.count('UsersRepository.findById')).toBe(1);
      expect(loads.count('OrdersRepository.findById')).toBe(1);
    });

    it('caches the methods of transient providers, every instance on the same cache', async () => {
      const checkout = module.get(CheckoutService).pricing;
      const quote = module.get(QuoteService).pricing;
      expect(checkout).not.toBe(quote);
      expect(await checkout.price('mug')).toBe(300);
      expect(await quote.price('mug')).toBe(300);
      const resolved = await module.resolve(PricingService);
      expect(resolved).not.toBe(checkout);
      expect(await resolved.price('mug')).toBe(300);
      expect(loads.count('price')).toBe(1);
    });

    it('caches the methods of request-scoped providers, declared or inherited from a dependency', async () => {
      for (const type of [RequestCatalog, ForRequest, UsesRequestCatalog] as const) {
        const first = await resolveForRequest(module, type);
        const second = await resolveForRequest(module, type);
        expect(first).not.toBe(second);
        const call = (instance: object) =>
          instance instanceof UsesRequestCatalog
            ? instance.describe(7)
            : (instance as RequestCatalog).find(7);
        expect(await call(first)).toBe(await call(second));
      }
      expect(loads.count('RequestCatalog.find')).toBe(1);
      expect(loads.count('ForRequest.find')).toBe(1);
      expect(loads.count('UsesRequestCatalog.describe')).toBe(1);
    });

    it('caches the methods of instances made with moduleRef.create()', async () => {
      const moduleRef = module.get(ModuleRef);
      const runs = ReportBuilder.runs;
      const first = await moduleRef.create(ReportBuilder);
      const second = await moduleRef.create(ReportBuilder);
      expect(await first.build('2026-11')).toBe('report for 2026-11');
      expect(await second.build('2026-11')).toBe('report for 2026-11');
      expect(ReportBuilder.runs - runs).toBe(1);
    });

    it('caches the methods of providers in a lazily loaded module', async () => {
      const lazy = await module.get(LazyModuleLoader).load(() => LazyStatsModule);
      const stats = lazy.get(LazyStatsService);
      const runs = LazyStatsService.runs;
      expect(await stats.daily('monday')).toBe(6);
      expect(await stats.daily('monday')).toBe(6);
      expect(LazyStatsService.runs - runs).toBe(1);
    });

    it('uses exactly the cache each decorator names, by option or by @CacheConfig', async () => {
      const sessions = module.get(SessionsService);
      const byDefault = module.get(DefaultCacheService);
      const sessionsCache = module.get<CacheClient>(getCacheToken('sessions'));
      const catalogCache = module.get<CacheClient>(getCacheToken('catalog'));
      const defaultCache = module.get(CacheClient);
      expect(sessions.sessions).toBe(sessionsCache);
      expect(new Set([sessionsCache, catalogCache, defaultCache]).size).toBe(3);

      await sessions.find('a');
      await byDefault.find('a');
      expect(await sessionsCache.get('session:a')).toEqual({ id: 'a' });
      expect(await defaultCache.get('session:a')).toBe('default a');
      expect(await catalogCache.has('session:a')).toBe(false);

      await sessions.product('tea');
      expect(await catalogCache.get('sku:tea')).toBe('TEA');
      expect(await sessionsCache.has('sku:tea')).toBe(false);
      await sessions.renameProduct('tea', 'Green tea');
      expect(await catalogCache.get('sku:tea')).toBe('Green tea');

      await sessions.end('a');
      expect(await sessionsCache.has('session:a')).toBe(false);
      expect(await defaultCache.get('session:a')).toBe('default a');
      expect(sessionsCache.stats().sets).toBe(1);
      expect(defaultCache.stats().sets).toBe(1);
    });

    it('drops only the named cache with allEntries', async () => {
      const sessions = module.get(SessionsService);
      await sessions.find('b');
      await sessions.product('cup');
      await module.get(DefaultCacheService).find('b');
      await sessions.endAll();
      expect(await module.get<CacheClient>(getCacheToken('sessions')).has('session:b')).toBe(false);
      expect(await module.get<CacheClient>(getCacheToken('catalog')).get('sku:cup')).toBe('CUP');
      expect(await module.get(CacheClient).get('session:b')).toBe('default b');
    });

    it('returns the method result whatever an option callback throws, and counts it', async () => {
      const service = module.get(ThrowingCallbacks);
      const uncaught: unknown[] = [];
      const onUncaught = (error: unknown) => uncaught.push(error);
      process.on('uncaughtException', onUncaught);
      process.on('unhandledRejection', onUncaught);
      try {
        expect(await service.badKey()).toBe('key');
        expect(await service.badTtl()).toBe('ttl');
        expect(await service.badTags()).toBe('tags');
        expect(await service.badCondition()).toBe('condition');
        expect(await service.badUnless()).toBe('unless');
        expect(await service.badUnless()).toBe('unless');
        expect(service.calls.count('badUnless')).toBe(2);
        expect(await service.badPut()).toBe('put');
        expect(await service.badEvictKey()).toBe('evict key');
        expect(await service.badEvictKeys()).toBe('evict keys');
        expect(await service.badEvictTags()).toBe('evict tags');
        expect(await firstValueFrom(service.observableUnless())).toBe('observable unless');
        expect(await lastValueFrom(service.observableUnless())).toBe('observable unless');
        expect(await lastValueFrom(service.observableKey())).toBe('observable key');
        expect(await lastValueFrom(service.observableEvict())).toBe('observable evict');
        await new Promise((resolve) => setTimeout(resolve, 20));
      } finally {
        process.off('uncaughtException', onUncaught);
        process.off('unhandledRejection', onUncaught);
      }
      expect(uncaught).toEqual([]);
      expect(module.get(CacheClient).stats().errors).toBeGreaterThanOrEqual(12);
      expect(await module.get(CacheClient).has('bad-unless')).toBe(false);
    });

    it('caches single-value Observables read with firstValueFrom or lastValueFrom', async () => {
      const service = module.get(ObservableService);
      expect(await firstValueFrom(service.ofValue(1))).toBe(10);
      expect(await firstValueFrom(service.ofValue(1))).toBe(10);
      expect(await lastValueFrom(service.ofValue(1))).toBe(10);
      expect(service.calls.count('ofValue')).toBe(1);
      expect(await firstValueFrom(service.httpLike(2))).toEqual({ data: 2 });
      expect(await lastValueFrom(service.httpLike(2))).toEqual({ data: 2 });
      expect(await firstValueFrom(service.httpLike(2))).toEqual({ data: 2 });
      expect(service.calls.count('httpLike')).toBe(1);
    });

    it('keeps the kind of a method without a declared return type from its first call', async () => {
      const service = module.get(ObservableService);
      const first = service.undeclared(1);
      expect(isObservable(first)).toBe(true);
      expect(await lastValueFrom(first)).toBe(2);
      const second = service.undeclared(1);
      expect(isObservable(second)).toBe(true);
      expect(await lastValueFrom(second)).toBe(2);
      expect(service.calls.count('undeclared')).toBe(1);
      expect(await service.undeclaredPromise(3)).toBe(6);
      const again = service.undeclaredPromise(3);
      expect(again).toBeInstanceOf(Promise);
      expect(await again).toBe(6);
      expect(service.calls.count('undeclaredPromise')).toBe(1);
    });

    it('runs a method without a declared return type once for concurrent first calls', async () => {
      const service = module.get(ObservableService);
      const calls = [
        service.undeclaredSlow(4),
        service.undeclaredSlow(4),
        service.undeclaredSlow(4),
      ];
      expect(await Promise.all(calls)).toEqual([8, 8, 8]);
      expect(service.calls.count('undeclaredSlow')).toBe(1);
      expect(await service.undeclaredSlow(4)).toBe(8);
      expect(service.calls.count('undeclaredSlow')).toBe(1);
    });
  });

  describe('values that are not plain JSON', () => {
    beforeEach(async () => {
      module = await startApp();
      await module.init();
    });

    it('restores class instances with type, also in an array', async () => {
      const profiles = module.get(ProfilesService);
      await profiles.one(1);
      const hit = await profiles.one(1);
      expect(hit).toBeInstanceOf(Profile);
      expect(hit.greet()).toBe('hi Ada');
      await profiles.all();
      const all = await profiles.all();
      expect(all.every((profile) => profile instanceof Profile)).toBe(true);
      expect(all.map((profile) => profile.greet())).toEqual(['hi Ada', 'hi Grace']);
      expect(profiles.calls.count('one')).toBe(1);
      expect(profiles.calls.count('all')).toBe(1);
    });

    it('never caches a class instance without type, and counts why', async () => {
      const profiles = module.get(ProfilesService);
      const errors = module.get(CacheClient).stats().errors;
      expect(await profiles.untyped(1)).toBeInstanceOf(Profile);
      expect(await profiles.untyped(1)).toBeInstanceOf(Profile);
      expect(profiles.calls.count('untyped')).toBe(2);
      expect(module.get(CacheClient).stats().errors).toBeGreaterThan(errors);
    });

    it('returns Date, Set, BigInt and undefined members on a hit as the miss did', async () => {
      const profiles = module.get(ProfilesService);
      const miss = await profiles.typedValues();
      const hit = await profiles.typedValues();
      expect(profiles.calls.count('typedValues')).toBe(1);
      expect(hit).toEqual(miss);
      expect(hit.at).toBeInstanceOf(Date);
      expect(hit.seen).toBeInstanceOf(Set);
      expect(typeof hit.big).toBe('bigint');
      expect(Object.keys(hit)).toContain('gone');
    });

    it('hands out the stored object deep-frozen with clone: false', async () => {
      const profiles = module.get(ProfilesService);
      await profiles.frozen();
      const first = await profiles.frozen();
      const second = await profiles.frozen();
      expect(first).toEqual({ tags: ['a'] });
      expect(Object.isFrozen(first) && Object.isFrozen(first.tags)).toBe(true);
      if (spec.name === 'memory') expect(second).toBe(first);
      expect(profiles.calls.count('frozen')).toBe(1);
    });
  });

  describe('at startup', () => {
    it('refuses a decorator naming a cache that does not exist, naming the method and the cache', async () => {
      const built = await startApp([MissingCacheService]);
      await expect(built.init()).rejects.toThrow(/MissingCacheService\.find.*"nope"/);
    });

    it('refuses two caches of the same name in one app', async () => {
      const twice = Test.createTestingModule({
        imports: [
          CacheModule.forRoot({ name: 'twin', ...options() }),
          CacheModule.forRoot({ name: 'twin', ...options() }),
        ],
      }).compile();
      await expect(twice).rejects.toThrow(/"name": "twin"/);
    });
  });

  describe('over HTTP', () => {
    let app: INestApplication;

    it('caches the handler of a request-scoped controller', async () => {
      const built = await startApp([Loads], [ScopedController]);
      app = built.createNestApplication({ logger: false });
      await app.init();
      closers.push(() => app.close());
      await request(app.getHttpServer()).get('/scoped/4').expect(200, { id: 4 });
      await request(app.getHttpServer()).get('/scoped/4').expect(200, { id: 4 });
      expect(app.get(Loads).count('ScopedController.find')).toBe(1);
    });
  });

  describe('with CacheClient replaced in a testing module', () => {
    it('runs the decorators against the replacement', async () => {
      const fake = new MapCache();
      const built = await Test.createTestingModule({
        imports: [CacheModule.forRoot(options())],
        providers: [Loads, UsersRepository, SyncService],
      })
        .overrideProvider(CacheClient)
        .useValue(fake)
        .compile();
      closers.push(() => built.close());
      await built.init();
      const users = built.get(UsersRepository);
      expect(await users.findById(1)).toEqual({ id: 1, kind: 'user' });
      expect(await users.findById(1)).toEqual({ id: 1, kind: 'user' });
      expect(built.get(Loads).count('UsersRepository.findById')).toBe(1);
      expect([...fake.entries.keys()]).toEqual([
        expect.stringMatching(/^UsersRepository\.findById:/),
      ]);
      const sync = built.get(SyncService);
      expect(sync.square(3)).toBe(9);
      expect(sync.square(3)).toBe(9);
      expect(sync.calls.count('square')).toBe(2);
    });
  });
}

async function resolveForRequest(module: TestingModule, type: Type<object>): Promise<object> {
  const contextId = ContextIdFactory.create();
  module.registerRequestByContextId({ headers: {} }, contextId);
  return module.resolve(type, contextId, { strict: false });
}

/** A fake cache as a user writes one for tests. */
class MapCache extends CacheClient {
  readonly entries = new Map<string, unknown>();
  async get<T>(key: string) {
    return this.entries.get(key) as T | undefined;
  }
  async set(key: string, value: unknown) {
    this.entries.set(key, value);
    return true;
  }
  async delete(key: string) {
    return this.entries.delete(key);
  }
  async has(key: string) {
    return this.entries.has(key);
  }
  async getMany<T>(keys: readonly string[]) {
    return keys.map((key) => this.entries.get(key) as T | undefined);
  }
  async setMany() {
    return true;
  }
  async deleteMany(keys: readonly string[]) {
    return keys.filter((key) => this.entries.delete(key)).length;
  }
  async getOrSet<T>(key: string, loader: () => T | Promise<T>) {
    if (!this.entries.has(key)) this.entries.set(key, await loader());
    return this.entries.get(key) as T;
  }
  async invalidateTags() {
    return true;
  }
  async clear() {
    this.entries.clear();
    return true;
  }
  stats() {
    return {
      store: 'fake',
      hits: 0,
      l1Hits: 0,
      l2Hits: 0,
      misses: 0,
      sets: 0,
      deletes: 0,
      errors: 0,
      hitRate: 0,
      staleHits: 0,
      refreshes: 0,
      loaderTimeouts: 0,
      methods: {},
    };
  }
}
