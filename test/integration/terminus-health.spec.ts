import { Controller, Get, Logger, Module, type INestApplication } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CacheClient, CacheModule } from 'nestjs-distributed-cache';
import { CacheHealthIndicator } from 'nestjs-distributed-cache/terminus';
import { freshPrefix, patient } from '../support/cache-app.js';
import { startRedis, type ServerProcess } from '../support/servers.js';

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly cache: CacheHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () => this.cache.isHealthy(),
      () => this.cache.isHealthy('sessions', { cache: 'sessions' }),
    ]);
  }
}

@Controller('greeting')
class GreetingController {
  constructor(private readonly cache: CacheClient) {}

  /** Served whether the cache answers or not. */
  @Get()
  greeting() {
    return this.cache.getOrSet('greeting', () => ({ text: 'hello' }), 60);
  }
}

@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [CacheHealthIndicator],
})
class HealthModule {}

describe('CacheHealthIndicator behind a @nestjs/terminus endpoint', () => {
  let redis: ServerProcess;
  let app: INestApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    redis = await startRedis();
    const moduleRef = await Test.createTestingModule({
      imports: [
        CacheModule.forRoot(
          patient({
            store: 'redis',
            redis: { url: `redis://${redis.address}` },
            keyPrefix: freshPrefix(),
          }),
        ),
        CacheModule.forRoot({ name: 'sessions', store: 'memory' }),
        HealthModule,
      ],
      controllers: [GreetingController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });

  it('answers 200 with each cache and its nodes when every server answers', async () => {
    const response = await http().get('/health').expect(200);
    expect(response.body.status).toBe('ok');
    expect(response.body.details).toEqual({
      cache: {
        status: 'up',
        nodes: [{ address: redis.address, ok: true, latencyMs: expect.any(Number) }],
      },
      sessions: {
        status: 'up',
        nodes: [{ address: 'memory', ok: true, latencyMs: expect.any(Number) }],
      },
    });
  });

  it('answers 503 naming the server that is down, while the app goes on serving', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const error = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    await redis.kill();
    try {
      const response = await http().get('/health').expect(503);
      expect(response.body.status).toBe('error');
      const cache = response.body.error.cache;
      expect(cache.status).toBe('down');
      expect(cache.message).toContain(redis.address);
      expect(cache.nodes).toEqual([
        { address: redis.address, ok: false, error: expect.any(String) },
      ]);
      expect(response.body.info.sessions.status).toBe('up');

      await http().get('/greeting').expect(200, { text: 'hello' });
    } finally {
      await redis.restart();
      warn.mockRestore();
      error.mockRestore();
    }
  });
});
