import 'reflect-metadata';
import { Injectable, Logger } from '@nestjs/common';
import { tracingChannel } from 'node:diagnostics_channel';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Cacheable } from '../../lib/index.js';
import {
  cacheChannelName,
  type CacheOperationContext,
} from '../../lib/observability/cache-channels.js';
import { freshPrefix, startCacheApp, type CacheApp } from '../support/cache-app.js';
import { startRedis, type RedisServer } from '../support/servers.js';

class User {
  constructor(
    readonly id: number,
    readonly name: string,
  ) {}
}

let keyCalls = 0;

/**
 * Methods whose hits on the memory store are answered before cache-aside's steps (a key, a fixed
 * policy, no `condition`, no eviction): what they answer must be what cache-aside would.
 */
@Injectable()
class Directory {
  loads = 0;
  private release?: () => void;

  @Cacheable({ key: (id: number) => `user:${id}`, ttl: '1h' })
  async find(id: number): Promise<{ id: number; roles: string[] }> {
    this.loads++;
    return { id, roles: ['reader'] };
  }

  @Cacheable({ key: (id: number) => `frozen:${id}`, ttl: '1h', clone: false })
  async findFrozen(id: number): Promise<{ id: number; roles: string[] }> {
    this.loads++;
    return { id, roles: ['reader'] };
  }

  @Cacheable({ key: (id: number) => `typed:${id}`, type: User })
  async findUser(id: number): Promise<User> {
    this.loads++;
    return new User(id, `user ${id}`);
  }

  @Cacheable({ key: (id: number) => `sync:${id}` })
  count(id: number): number {
    this.loads++;
    return id * 2;
  }

  @Cacheable({
    key: (id: number) => {
      keyCalls++;
      if (id < 0) throw new Error('no key for a negative id');
      return `checked:${id}`;
    },
  })
  async findChecked(id: number): Promise<number> {
    this.loads++;
    return id;
  }

  /** Kept for grace past its TTL: its entries carry a stamp, checked on every hit. */
  @Cacheable({ key: (id: number) => `graced:${id}`, ttl: '1h', grace: '1h' })
  async findGraced(id: number): Promise<number> {
    this.loads++;
    return id;
  }

  /** Loads until `finishLoad()` is called. */
  @Cacheable({ key: 'slow' })
  async slow(): Promise<string> {
    this.loads++;
    await new Promise<void>((resolve) => (this.release = resolve));
    return 'loaded';
  }

  finishLoad(): void {
    this.release?.();
  }
}

describe('a memory hit answered before the steps of cache-aside', () => {
  let app: CacheApp;
  const open = async () => {
    app = await startCacheApp({}, [Directory]);
    return app.get(Directory);
  };
  afterEach(async () => {
    vi.restoreAllMocks();
    await app?.close();
  });

  it('is counted as a hit, in stats() and in the method stats', async () => {
    const directory = await open();
    await directory.find(1);
    await directory.find(1);
    await directory.find(1);
    const stats = app.client.stats();
    expect(directory.loads).toBe(1);
    expect(stats).toMatchObject({ hits: 2, misses: 1, l2Hits: 2 });
    expect(stats.methods['Directory.find']).toMatchObject({ hits: 2, misses: 1, loads: 1 });
  });

  it('is published to a subscriber of the getOrSet channel, as a hit on l2', async () => {
    const directory = await open();
    await directory.find(1);
    const ended: CacheOperationContext[] = [];
    const channel = tracingChannel<CacheOperationContext, CacheOperationContext>(
      cacheChannelName('getOrSet'),
    );
    const ignore = () => undefined;
    const handlers = {
      start: ignore,
      end: (context: CacheOperationContext) => void ended.push({ ...context }),
      asyncStart: ignore,
      asyncEnd: ignore,
      error: ignore,
    };
    channel.subscribe(handlers);
    try {
      await directory.find(1);
    } finally {
      channel.unsubscribe(handlers);
    }
    expect(ended).toEqual([
      expect.objectContaining({
        key: 'user:1',
        result: 'hit',
        tier: 'l2',
        method: 'Directory.find',
      }),
    ]);
  });

  it('reads the store once a call: on a miss, a hit, and a hit on an entry that needs checking', async () => {
    const directory = await open();
    const reads = vi.spyOn(app.store, 'get');
    const writes = vi.spyOn(app.store, 'set');
    await directory.find(9);
    expect([reads.mock.calls.length, writes.mock.calls.length]).toEqual([1, 1]);
    await directory.find(9);
    expect(reads).toHaveBeenCalledTimes(2);
    await directory.findGraced(9);
    await directory.findGraced(9);
    expect(reads).toHaveBeenCalledTimes(4);
    expect(directory.loads).toBe(2);
    expect(app.client.stats()).toMatchObject({ hits: 2, misses: 2 });
  });

  it('hands each caller its own copy; with clone: false one frozen value', async () => {
    const directory = await open();
    await directory.find(1);
    const first = await directory.find(1);
    first.roles.push('admin');
    expect(await directory.find(1)).toEqual({ id: 1, roles: ['reader'] });

    await directory.findFrozen(1);
    const frozen = await directory.findFrozen(1);
    expect(Object.isFrozen(frozen.roles)).toBe(true);
    expect(() => frozen.roles.push('admin')).toThrow(TypeError);
    expect(await directory.findFrozen(1)).toBe(frozen);
  });

  it('restores instances of the declared type', async () => {
    const directory = await open();
    await directory.findUser(7);
    const hit = await directory.findUser(7);
    expect(hit).toBeInstanceOf(User);
    expect(hit).toEqual(new User(7, 'user 7'));
    expect(directory.loads).toBe(1);
  });

  it('reads an entry that is not of the declared type as cache-aside does: reported, removed, loaded', async () => {
    const directory = await open();
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await app.client.set('typed:3', 'not a user');
    await app.client.get('typed:3');
    const loaded = await directory.findUser(3);
    expect(loaded).toEqual(new User(3, 'user 3'));
    expect(directory.loads).toBe(1);
    expect(app.client.stats().errors).toBe(1);
    expect(warn.mock.calls.flat().join(' ')).toMatch(/typed:3/);
    expect(await directory.findUser(3)).toBeInstanceOf(User);
    expect(directory.loads).toBe(1);
  });

  it('keeps a synchronous method synchronous', async () => {
    const directory = await open();
    expect(directory.count(4)).toBe(8);
    expect(directory.count(4)).toBe(8);
    expect(directory.loads).toBe(1);
    expect(app.client.stats().hits).toBe(1);
  });

  it('runs the key function once a call; one that throws leaves the call uncached, reported', async () => {
    const directory = await open();
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    expect(await directory.findChecked(-1)).toBe(-1);
    expect(await directory.findChecked(-1)).toBe(-1);
    expect(directory.loads).toBe(2);
    expect(app.client.stats().errors).toBe(2);
    expect(warn.mock.calls.flat().join(' ')).toMatch(/no key for a negative id/);
    keyCalls = 0;
    await directory.findChecked(2);
    await directory.findChecked(2);
    expect(keyCalls).toBe(2);
  });

  it('a caller that arrives while a load of the key runs joins it, even when the store holds an entry', async () => {
    const directory = await open();
    const first = directory.slow();
    await vi.waitFor(() => expect(directory.loads).toBe(1));
    await app.client.set('slow', 'written meanwhile');
    const second = directory.slow();
    directory.finishLoad();
    expect(await first).toBe('loaded');
    expect(await second).toBe('loaded');
    expect(directory.loads).toBe(1);
  });
});

/** On Redis with L1, hits L1 holds are answered the same way. */
@Injectable()
class Shelf {
  loads = 0;

  @Cacheable({ key: (id: number) => `shelf:${id}`, ttl: '1h' })
  async find(id: number): Promise<{ id: number; loads: number }> {
    return { id, loads: ++this.loads };
  }

  @Cacheable({ key: (id: number) => `ahead:${id}`, ttl: '600ms', refreshAhead: 0.5 })
  async findAhead(id: number): Promise<{ id: number; loads: number }> {
    return { id, loads: ++this.loads };
  }
}

describe('an L1 hit answered before the steps of cache-aside (Redis with L1)', () => {
  let server: RedisServer;
  let app: CacheApp;
  const open = async () => {
    app = await startCacheApp(
      { store: 'redis', redis: { url: server.url }, keyPrefix: freshPrefix(), l1: true },
      [Shelf],
    );
    return app.get(Shelf);
  };
  beforeAll(async () => {
    server = await startRedis();
  });
  afterEach(async () => {
    await app?.close();
  });
  afterAll(async () => server?.stop());

  it('is counted as an L1 hit, L1 and the store each read once a call', async () => {
    const shelf = await open();
    const reads = vi.spyOn(app.store, 'get');
    await shelf.find(1);
    const first = await shelf.find(1);
    const second = await shelf.find(1);
    expect(second).toEqual({ id: 1, loads: 1 });
    expect(second).not.toBe(first);
    expect(reads).toHaveBeenCalledTimes(1);
    const stats = app.client.stats() as ReturnType<CacheApp['client']['stats']> & {
      l1: { hits: number; misses: number };
    };
    expect(stats).toMatchObject({ hits: 2, l1Hits: 2, misses: 1 });
    expect(stats.l1).toMatchObject({ hits: 2, misses: 1 });
    expect(stats.methods['Shelf.find']).toMatchObject({ hits: 2, misses: 1 });
  });

  it('with refreshAhead, a hit on L1 still refreshes the entry before it expires', async () => {
    const shelf = await open();
    await shelf.findAhead(2);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await shelf.findAhead(2)).toEqual({ id: 2, loads: 1 });
    await vi.waitFor(() => expect(shelf.loads).toBe(2));
    await vi.waitFor(async () => expect(await shelf.findAhead(2)).toEqual({ id: 2, loads: 2 }));
  });
});
