import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  Cacheable,
  CacheClient,
  CacheEvict,
  CacheModule,
  getCacheToken,
  InjectCache,
} from '../../lib/index.js';
import { memcachedKeys } from '../support/memcached-stats.js';
import { eventually } from '../support/store-contract.js';
import {
  startMemcached,
  startRedis,
  type RedisServer,
  type ServerProcess,
} from '../support/servers.js';

@Injectable()
class AccountsService {
  runs = 0;
  constructor(@InjectCache('pages') readonly pages: CacheClient) {}

  @Cacheable({ cache: 'users', key: (id: number) => `account:${id}` })
  async user(id: number): Promise<string> {
    this.runs++;
    return `user ${id}`;
  }

  @Cacheable({ cache: 'orders', key: (id: number) => `account:${id}` })
  async orders(id: number): Promise<string[]> {
    this.runs++;
    return [`order of ${id}`];
  }

  @Cacheable({ cache: 'pages', key: (id: number) => `account:${id}` })
  async page(id: number): Promise<string> {
    this.runs++;
    return `<p>${id}</p>`;
  }

  @CacheEvict({ cache: 'users', key: (id: number) => `account:${id}` })
  @CacheEvict({ cache: 'pages', key: (id: number) => `account:${id}` })
  async rename(_id: number): Promise<void> {}

  @CacheEvict({ cache: 'orders', allEntries: true })
  async dropOrders(): Promise<void> {}
}

describe('named caches: two on one Redis, one on a Memcached server', () => {
  let redis: RedisServer;
  let memcached: ServerProcess;
  let inspect: Redis;
  let module: TestingModule;

  beforeAll(async () => {
    [redis, memcached] = await Promise.all([startRedis(), startMemcached()]);
    inspect = new Redis(redis.port, redis.host);
  });
  afterEach(async () => module?.close());
  afterAll(async () => {
    inspect?.disconnect();
    await Promise.all([redis?.stop(), memcached?.stop()]);
  });

  async function start() {
    const onRedis = { store: 'redis' as const, redis: { url: redis.url }, commandTimeout: 2000 };
    module = await Test.createTestingModule({
      imports: [
        CacheModule.forRoot({ name: 'users', ...onRedis, keyPrefix: 'app:' }),
        CacheModule.forRoot({ name: 'orders', ...onRedis, keyPrefix: 'app:orders:' }),
        CacheModule.forRoot({
          name: 'pages',
          store: 'memcached',
          memcached: { servers: [memcached.address] },
          commandTimeout: 2000,
        }),
      ],
      providers: [AccountsService],
    }).compile();
    await module.init();
    return module.get(AccountsService);
  }

  const cache = (name: string) => module.get<CacheClient>(getCacheToken(name));

  it('keeps each cache on its own store and prefix, with its own stats', async () => {
    const accounts = await start();
    await accounts.user(1);
    await accounts.orders(1);
    await accounts.page(1);
    await Promise.all([accounts.user(1), accounts.orders(1), accounts.page(1)]);
    expect(accounts.runs).toBe(3);
    expect(accounts.pages).toBe(cache('pages'));
    expect(await cache('users').get('account:1')).toBe('user 1');
    expect(await cache('orders').get('account:1')).toEqual(['order of 1']);
    expect(await cache('pages').get('account:1')).toBe('<p>1</p>');
    const onServer = (await inspect.keys('app:*')).sort();
    expect(onServer).toHaveLength(2);
    expect(onServer.every((key) => key.endsWith('account:1'))).toBe(true);
    // The LRU crawler that lists keys runs in the background: the new item may take a moment.
    await eventually(async () =>
      (await memcachedKeys(memcached.port)).some((key) => key.endsWith(':account:1')),
    );
    for (const name of ['users', 'orders', 'pages']) {
      expect(cache(name).stats()).toMatchObject({ hits: 2, sets: 1 });
    }
  });

  it('evicts from the caches each @CacheEvict names, and clears only the one allEntries names', async () => {
    const accounts = await start();
    await Promise.all([accounts.user(2), accounts.orders(2), accounts.page(2)]);
    await accounts.rename(2);
    expect(await cache('users').has('account:2')).toBe(false);
    expect(await cache('pages').has('account:2')).toBe(false);
    expect(await cache('orders').has('account:2')).toBe(true);

    await accounts.user(2);
    await accounts.dropOrders();
    expect(await cache('orders').has('account:2')).toBe(false);
    expect(await cache('users').get('account:2')).toBe('user 2');
  });
});
