import {
  Controller,
  Get,
  Injectable,
  Logger,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { APP_INTERCEPTOR, ModuleRef, Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import {
  ClientProxyFactory,
  MessagePattern,
  Payload,
  Transport,
  type ClientProxy,
} from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { firstValueFrom, of } from 'rxjs';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CacheClient,
  CacheInterceptor,
  CacheModule,
  getCacheToken,
  CacheOptionsError,
  CacheTTL,
  type CacheInterceptorOptions,
} from '../../lib/index.js';
import { freePort } from '../support/servers.js';

/** The global interceptor, recording the kind of each context it was handed. */
@Injectable()
class RecordingCacheInterceptor extends CacheInterceptor {
  static readonly seen: string[] = [];

  override intercept(context: ExecutionContext, next: CallHandler) {
    RecordingCacheInterceptor.seen.push(context.getType());
    return super.intercept(context, next);
  }
}

@Controller()
class PricesController {
  runs = 0;

  @MessagePattern('price')
  price(@Payload() { sku }: { sku: string }) {
    return { sku, price: 10, run: ++this.runs };
  }

  @Get('prices')
  list() {
    return { run: ++this.runs };
  }
}

describe('CacheInterceptor outside HTTP', () => {
  let app: INestApplication;
  let client: ClientProxy;

  beforeEach(async () => {
    RecordingCacheInterceptor.seen.length = 0;
    const module = await Test.createTestingModule({
      imports: [CacheModule.forRoot()],
      controllers: [PricesController],
      providers: [{ provide: APP_INTERCEPTOR, useClass: RecordingCacheInterceptor }],
    }).compile();
    app = module.createNestApplication({ logger: false });
    const port = await freePort();
    const options = { host: '127.0.0.1', port };
    app.connectMicroservice({ transport: Transport.TCP, options }, { inheritAppConfig: true });
    await app.startAllMicroservices();
    await app.init();
    client = ClientProxyFactory.create({ transport: Transport.TCP, options });
    await client.connect();
  });
  afterEach(async () => {
    await client.close();
    await app.close();
  });

  it('runs a @MessagePattern handler uncached and unharmed under the global interceptor', async () => {
    const first = await firstValueFrom(client.send('price', { sku: 'a' }));
    const second = await firstValueFrom(client.send('price', { sku: 'a' }));
    expect(first).toEqual({ sku: 'a', price: 10, run: 1 });
    expect(second).toEqual({ sku: 'a', price: 10, run: 2 });
    expect(RecordingCacheInterceptor.seen).toEqual(['rpc', 'rpc']);
  });

  it('still caches the HTTP handlers of the same hybrid app', async () => {
    await request(app.getHttpServer()).get('/prices').expect(200);
    const second = await request(app.getHttpServer()).get('/prices').expect(200);
    expect(second.headers['x-cache']).toBe('HIT');
    expect(RecordingCacheInterceptor.seen).toEqual(['http', 'http']);
  });

  it('hands a GraphQL context the handle() of the next handler itself', async () => {
    const context = new ExecutionContextHost([{}, {}, {}, {}], PricesController, () => 0);
    context.setType('graphql');
    const handled = of({ data: 1 });
    const interceptor = new CacheInterceptor(app.get(Reflector), app.get(ModuleRef));
    const result = interceptor.intercept(context, { handle: () => handled });
    expect(result).toBe(handled);
  });
});

function controllerUsing(options: CacheInterceptorOptions) {
  @Controller('reports')
  @UseInterceptors(CacheInterceptor.with(options))
  class ReportsController {
    @Get()
    @CacheTTL(60000)
    list() {
      return [];
    }
  }
  return ReportsController;
}

async function startWith(options: CacheInterceptorOptions): Promise<INestApplication> {
  const module = await Test.createTestingModule({
    imports: [CacheModule.forRoot()],
    controllers: [controllerUsing(options)],
  }).compile();
  const app = module.createNestApplication({ logger: false });
  await app.init();
  return app;
}

/** A subclass as `@nestjs/cache-manager` users write them: its own key. */
@Injectable()
class TenantCacheInterceptor extends CacheInterceptor {
  protected override async trackBy(context: ExecutionContext) {
    const url = await super.trackBy(context);
    return url && `tenant-a:${url}`;
  }
}

@Controller('menu')
@UseInterceptors(TenantCacheInterceptor.with({ cache: 'pages' }))
class MenuController {
  runs = 0;

  @Get()
  menu() {
    return { run: ++this.runs };
  }
}

describe('a subclass of CacheInterceptor', () => {
  it('keeps its own trackBy under .with({ cache })', async () => {
    const module = await Test.createTestingModule({
      imports: [CacheModule.forRoot(), CacheModule.forRoot({ name: 'pages' })],
      controllers: [MenuController],
    }).compile();
    const app = module.createNestApplication({ logger: false });
    await app.init();
    try {
      await request(app.getHttpServer()).get('/menu').expect(200);
      const second = await request(app.getHttpServer()).get('/menu').expect(200);
      expect(second.headers['x-cache']).toBe('HIT');
      const pages = app.get<CacheClient>(getCacheToken('pages'));
      expect(await pages.get('tenant-a:/menu')).toEqual({ run: 1 });
    } finally {
      await app.close();
    }
  });
});

describe('CacheInterceptor set-up', () => {
  it('stops the app when its cache does not exist, naming it', async () => {
    const started = startWith({ cache: 'missing' });
    await expect(started).rejects.toBeInstanceOf(CacheOptionsError);
    await expect(started).rejects.toThrow(/'missing'/);
  });

  it('warns when a @CacheTTL number reads like milliseconds, and keeps it as seconds', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const app = await startWith({});
    try {
      const { headers } = await request(app.getHttpServer()).get('/reports').expect(200);
      expect(headers['x-cache']).toBe('MISS');
      const messages = warn.mock.calls.map(([message]) => String(message));
      expect(messages.some((m) => m.includes('60000 seconds') && m.includes("'60s'"))).toBe(true);
    } finally {
      warn.mockRestore();
      await app.close();
    }
  });
});
