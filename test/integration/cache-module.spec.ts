import {
  Controller,
  Get,
  Injectable,
  Module,
  Param,
  ParseIntPipe,
  type INestApplication,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CACHE_STORE,
  Cacheable,
  CacheClient,
  CacheModule,
  MemoryStore,
  type CacheModuleOptions,
} from '../../lib/index.js';
import { freePort } from '../support/servers.js';

@Injectable()
class CacheSettings {
  readonly keyPrefix = 'from-settings:';
}

@Module({ providers: [CacheSettings], exports: [CacheSettings] })
class SettingsModule {}

@Injectable()
class CacheOptionsFactory {
  createCacheOptions(): CacheModuleOptions {
    return { keyPrefix: 'from-class:', ttl: '1m' };
  }
}

@Module({ providers: [CacheOptionsFactory], exports: [CacheOptionsFactory] })
class FactoryModule {}

@Controller('items')
class ItemsController {
  calls = 0;

  @Get(':id')
  @Cacheable({ key: (id: number) => `item:${id}` })
  find(@Param('id', ParseIntPipe) id: number) {
    this.calls++;
    return { id, at: this.calls };
  }
}

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function compile(imports: unknown[], providers: unknown[] = []) {
  const module = await Test.createTestingModule({
    imports: imports as never[],
    providers: providers as never[],
  }).compile();
  await module.init();
  closers.push(() => module.close());
  return module;
}

/** How startup ended: the error's message, or 'started' (never a module to pretty-print). */
async function startup(imports: () => unknown[]): Promise<string> {
  try {
    await compile(imports());
    return 'started';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('CacheModule', () => {
  it('uses the in-memory store when given no options', async () => {
    const module = await compile([CacheModule.forRoot()]);
    expect(module.get(CACHE_STORE)).toBeInstanceOf(MemoryStore);
    const client = module.get(CacheClient);
    await client.set('k', 'v');
    expect(await client.get('k')).toBe('v');
  });

  it('forRootAsync builds options with useFactory, imports and inject', async () => {
    const module = await compile([
      CacheModule.forRootAsync({
        imports: [SettingsModule],
        inject: [CacheSettings],
        useFactory: (settings: CacheSettings) => ({ keyPrefix: settings.keyPrefix }),
      }),
    ]);
    const store = module.get<MemoryStore>(CACHE_STORE);
    await module.get(CacheClient).set('k', 1);
    expect(store.get('k')).toBe('J1');
  });

  it('forRootAsync builds options with useClass', async () => {
    const module = await compile([CacheModule.forRootAsync({ useClass: CacheOptionsFactory })]);
    expect(await module.get(CacheClient).set('k', 1)).toBe(true);
  });

  it('forRootAsync reuses an options factory with useExisting', async () => {
    const module = await compile([
      CacheModule.forRootAsync({ imports: [FactoryModule], useExisting: CacheOptionsFactory }),
    ]);
    expect(await module.get(CacheClient).set('k', 1)).toBe(true);
  });

  it('makes CacheClient injectable everywhere with isGlobal', async () => {
    @Injectable()
    class NeedsCache {
      constructor(readonly cache: CacheClient) {}
    }
    @Module({ providers: [NeedsCache], exports: [NeedsCache] })
    class FeatureModule {}
    const module = await compile([CacheModule.forRoot({ isGlobal: true }), FeatureModule]);
    expect(module.get(NeedsCache).cache).toBe(module.get(CacheClient));
  });

  it('fails startup with a message naming a bad option', async () => {
    const cases: Array<[CacheModuleOptions, RegExp]> = [
      [{ store: 'mongo' as never }, /"store": "mongo"/],
      [{ ttl: -5 }, /option "ttl": -5/],
      [{ ttl: 'tomorrow' }, /option "ttl": "tomorrow"/],
      [
        { store: 'redis', redis: { url: 'http://localhost:1' } },
        /"redis.url": "http:\/\/localhost:1"/,
      ],
      [{ store: 'redis', redis: { url: 'not a url' } }, /"redis.url"/],
      [{ store: 'redis' }, /"redis"/],
      [{ store: 'memcached', memcached: { servers: [] } }, /"memcached.servers": \[\]/],
      [
        { store: 'memcached', memcached: { servers: ['localhost'] } },
        /"memcached.servers\[0\]": "localhost"/,
      ],
      [{ keyPrefix: '' }, /"keyPrefix"/],
      [{ commandTimeout: 0 }, /"commandTimeout": 0/],
      [{ memory: { maxEntries: -1 } }, /"memory.maxEntries": -1/],
      [{ tll: 5 } as never, /"tll": 5\. Unknown option/],
    ];
    for (const [options, message] of cases) {
      await expect(compile([CacheModule.forRoot(options)])).rejects.toThrow(message);
    }
  });

  describe('nested options, through forRoot and forRootAsync alike', () => {
    let closedPort: number;
    beforeAll(async () => {
      closedPort = await freePort();
    });
    const examples = (): Array<[CacheModuleOptions, RegExp]> => {
      const url = `redis://127.0.0.1:${closedPort}`;
      const servers = [`127.0.0.1:${closedPort}`];
      return [
        // The port only keeps a regression from reaching a Redis on localhost:6379.
        [
          { redis: { urll: 'redis://cache:6379', port: closedPort } } as never,
          /"redis\.urll".*did you mean 'url'\?/,
        ],
        [{ memory: { maxEntriess: 5 } } as never, /"memory\.maxEntriess": 5.*did you mean/],
        [{ memory: 'big' } as never, /"memory": "big"/],
        [{ redis: { url, bogus: 1 } } as never, /"redis\.bogus": 1/],
        [{ redis: { url, tls: 'yes' } } as never, /"redis\.tls": "yes"/],
        [{ redis: { host: 42, port: closedPort } } as never, /"redis\.host": 42/],
        [{ memcached: { servers, bogus: 1 } } as never, /"memcached\.bogus": 1/],
        [{ store: 'memory', redis: { url } }, /"redis".*The store is 'memory'/],
        [{ isGlobal: 'yes' } as never, /"isGlobal": "yes"/],
      ];
    };

    it('forRoot refuses each at startup, naming the option', async () => {
      for (const [options, message] of examples()) {
        expect(await startup(() => [CacheModule.forRoot(options)])).toMatch(message);
      }
    });

    it('forRootAsync refuses a misspelled nested option at startup', async () => {
      const redis = { urll: 'redis://cache:6379', port: closedPort };
      const misspelled = CacheModule.forRootAsync({
        useFactory: () => ({ store: 'redis', redis }) as never,
      });
      expect(await startup(() => [misspelled])).toBe(
        `Invalid cache option "redis.urll": "redis://cache:6379". Unknown option; did you mean 'url'?`,
      );
    });

    it('forRootAsync refuses each, from useFactory and from useClass', async () => {
      for (const [options, message] of examples()) {
        @Injectable()
        class BadOptions {
          createCacheOptions() {
            return options;
          }
        }
        const fromFactory = CacheModule.forRootAsync({ useFactory: async () => options });
        const fromClass = CacheModule.forRootAsync({ useClass: BadOptions });
        expect(await startup(() => [fromFactory])).toMatch(message);
        expect(await startup(() => [fromClass])).toMatch(message);
      }
    });

    it("refuses isGlobal: 'yes' given to forRoot or forRootAsync itself", () => {
      expect(() => CacheModule.forRoot({ isGlobal: 'yes' as never })).toThrow(
        /"isGlobal": "yes"\. Use true or false\./,
      );
      expect(() =>
        CacheModule.forRootAsync({ isGlobal: 'yes' as never, useFactory: () => ({}) }),
      ).toThrow(/"isGlobal": "yes"/);
    });
  });

  it('fails startup when a decorator has a bad TTL, naming the method', async () => {
    @Injectable()
    class BadTtl {
      @Cacheable({ ttl: '-3s' })
      find() {
        return 1;
      }
    }
    await expect(compile([CacheModule.forRoot()], [BadTtl])).rejects.toThrow(/BadTtl\.find/);
  });
});

describe('@Cacheable on a controller handler', () => {
  let app: INestApplication;

  it('keeps the route working and serves the second request from the cache', async () => {
    const module = await Test.createTestingModule({
      imports: [CacheModule.forRoot()],
      controllers: [ItemsController],
    }).compile();
    app = module.createNestApplication({ logger: false });
    await app.init();
    closers.push(() => app.close());
    const first = await request(app.getHttpServer()).get('/items/7').expect(200);
    const second = await request(app.getHttpServer()).get('/items/7').expect(200);
    expect(first.body).toEqual({ id: 7, at: 1 });
    expect(second.body).toEqual({ id: 7, at: 1 });
    expect(app.get(ItemsController).calls).toBe(1);
    await request(app.getHttpServer()).get('/items/abc').expect(400);
  });
});
