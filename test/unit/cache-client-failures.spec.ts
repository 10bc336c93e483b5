import { Logger } from '@nestjs/common';
import { describe, expect, it, vi } from 'vitest';
import { CacheTimeoutError, jsonSerializer, RedisStore, type CacheStore } from '../../lib/index.js';
import { DistributedCacheClient } from '../../lib/client/distributed-cache.client.js';
import { SafeStore } from '../../lib/client/safe-store.js';
import { FailureLog } from '../../lib/resilience/failure-log.js';
import { EntryCodec } from '../../lib/serialization/entry-codec.js';
import { freePort } from '../support/servers.js';

/** A store whose every command fails, as a dead server's driver does. */
function brokenStore(): CacheStore {
  const fail = async () => {
    throw new Error('ECONNREFUSED 127.0.0.1:1');
  };
  return {
    name: 'broken',
    get: fail,
    getMany: fail,
    set: fail,
    setMany: fail,
    delete: fail,
    deleteMany: fail,
    clear: fail,
    close: async () => undefined,
  };
}

function clientOver(store: CacheStore) {
  const logger = new Logger('test');
  const warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
  const safe = new SafeStore(store, new FailureLog(logger), {
    readRetries: 1,
    commandTimeout: 100,
  });
  return {
    client: new DistributedCacheClient(safe, new EntryCodec(jsonSerializer), undefined),
    warn,
  };
}

describe('CacheClient over a failing backend', () => {
  it('answers a miss, false or 0 instead of throwing', async () => {
    const { client } = clientOver(brokenStore());
    expect(await client.get('k')).toBeUndefined();
    expect(await client.has('k')).toBe(false);
    expect(await client.set('k', 1)).toBe(false);
    expect(await client.delete('k')).toBe(false);
    expect(await client.getMany(['a', 'b'])).toEqual([undefined, undefined]);
    expect(await client.setMany([{ key: 'a', value: 1 }])).toBe(false);
    expect(await client.deleteMany(['a'])).toBe(0);
    expect(await client.invalidateTags(['t'])).toBe(false);
    expect(await client.clear()).toBe(false);
  });

  it('never hides the loader value behind a cache failure', async () => {
    const { client } = clientOver(brokenStore());
    expect(await client.getOrSet('k', async () => ({ fresh: true }), { tags: ['t'] })).toEqual({
      fresh: true,
    });
  });

  it('counts every failure and logs the burst once', async () => {
    const { client, warn } = clientOver(brokenStore());
    await Promise.all(Array.from({ length: 20 }, (_, i) => client.get(`k${i}`)));
    expect(client.stats().errors).toBe(20);
    expect(client.stats().sets).toBe(0);
    expect(warn).toHaveBeenCalledTimes(1);
  });
});

describe('CacheClient over an unreachable Redis (reads of one tick sent together)', () => {
  it('counts each read of a failed multi-read as one failure and answers each a miss', async () => {
    const port = await freePort();
    const store = new RedisStore({
      keyPrefix: 't:',
      commandTimeout: 100,
      connection: { host: '127.0.0.1', port },
    });
    await store.ready();
    const { client, warn } = clientOver(store);
    const values = await Promise.all(Array.from({ length: 5 }, (_, i) => client.get(`k${i}`)));
    expect(values).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(client.stats().errors).toBe(5);
    expect(warn).toHaveBeenCalledTimes(1);
    await store.close();
  });
});

describe('CacheClient over a hung backend', () => {
  it('skips writes for a moment after a command timed out, so a miss costs one timeout', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const writes: string[] = [];
      let hung = true;
      const store: CacheStore = {
        ...brokenStore(),
        name: 'hung',
        get: async () => {
          if (hung) throw new CacheTimeoutError('hung', 100);
          return undefined;
        },
        set: async (key) => void writes.push(key),
        delete: async (key) => (writes.push(`delete ${key}`), true),
      };
      const { client } = clientOver(store);
      expect(await client.getOrSet('k', () => 'loaded')).toBe('loaded');
      expect(await client.set('other', 1)).toBe(false);
      expect(await client.delete('gone')).toBe(true);
      expect(writes).toEqual(['delete gone']);
      hung = false;
      vi.setSystemTime(Date.now() + 401);
      expect(await client.set('later', 1)).toBe(true);
      expect(writes).toEqual(['delete gone', 'later']);
    } finally {
      vi.useRealTimers();
    }
  });
});
