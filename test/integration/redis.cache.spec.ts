import { Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cacheable, CachePut } from '../../lib/index.js';
import { redisBackend } from '../support/backends.js';
import { startCacheApp } from '../support/cache-app.js';
import { describeCacheClient } from '../support/client-behaviour.js';
import { describeDecorators } from '../support/decorator-behaviour.js';
import { describeHostileInput } from '../support/hostile-behaviour.js';
import { describeRealApps } from '../support/real-app-behaviour.js';
import { describeResilience } from '../support/resilience-behaviour.js';
import { startRedis, type RedisServer } from '../support/servers.js';

const redis = redisBackend;

describe('on a real redis-server', () => {
  describeCacheClient(redis);
  describeDecorators(redis);
  describeRealApps(redis);
  describeResilience(redis);
  describeHostileInput(redis);
});

@Injectable()
class Expiring {
  @Cacheable({ key: 'fixed-string', ttl: '5m' })
  async fixedString() {
    return 'a';
  }

  @Cacheable({ key: 'fixed-seconds', ttl: 90 })
  async fixedSeconds() {
    return 'b';
  }

  @Cacheable({
    key: (minutes: number) => `computed:${minutes}`,
    ttl: (minutes: number) => `${minutes}m`,
  })
  async computed(minutes: number) {
    return minutes;
  }

  @CachePut({ key: 'never', ttl: 0 })
  async never() {
    return 'c';
  }

  @Cacheable({ key: 'default' })
  async byDefault() {
    return 'd';
  }
}

describe('decorator TTLs on a real redis-server', () => {
  let server: RedisServer;
  let inspect: Redis;

  beforeAll(async () => {
    server = await startRedis();
    inspect = new Redis(server.url);
  });
  afterAll(async () => {
    inspect.disconnect();
    await server.stop();
  });

  it('writes each entry with its decorator TTL: constant, computed per call, 0 for none, or the module default', async () => {
    const app = await startCacheApp(
      { store: 'redis', redis: { url: server.url }, keyPrefix: 'ttl:', ttl: '1h' },
      [Expiring],
    );
    try {
      const service = app.get(Expiring);
      await Promise.all([
        service.fixedString(),
        service.fixedSeconds(),
        service.computed(2),
        service.computed(7),
        service.never(),
        service.byDefault(),
      ]);
      const ttlOf = (key: string) => inspect.pttl(`ttl:|${key}`);
      const within = (ms: number) => [ms - 60_000, ms];
      const expected: [string, number[]][] = [
        ['fixed-string', within(300_000)],
        ['fixed-seconds', within(90_000)],
        ['computed:2', within(120_000)],
        ['computed:7', within(420_000)],
        ['default', within(3_600_000)],
      ];
      for (const [key, [low, high]] of expected) {
        const ttl = await ttlOf(key);
        expect(ttl, key).toBeGreaterThan(low);
        expect(ttl, key).toBeLessThanOrEqual(high);
      }
      expect(await ttlOf('never')).toBe(-1);
    } finally {
      await app.close();
    }
  });
});
