import { Logger } from '@nestjs/common';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it, vi } from 'vitest';
import { faithfulSerializer, MemoryStore, type CacheModuleOptions } from '../../lib/index.js';
import { DistributedCacheClient } from '../../lib/client/distributed-cache.client.js';
import { SafeStore } from '../../lib/client/safe-store.js';
import { FailureLog } from '../../lib/resilience/failure-log.js';
import { DecodedMemo } from '../../lib/serialization/decoded-memo.js';
import { EntryCodec } from '../../lib/serialization/entry-codec.js';
import { freshPrefix, patient, startCacheApp, type CacheApp } from '../support/cache-app.js';
import { CacheModel, operations, runAgainstModel } from '../support/cache-model.js';
import {
  startMemcached,
  startRedis,
  type RedisServer,
  type ServerProcess,
} from '../support/servers.js';

/** Runs per store: enough to meet every operation on every odd key, within a few seconds. */
const RUNS = 150;

function describeModel(name: string, options: () => CacheModuleOptions) {
  describe(`the ${name} store agrees with a plain map`, () => {
    let app: CacheApp;
    beforeAll(async () => {
      app = await startCacheApp(patient({ ...options(), keyPrefix: freshPrefix() }));
    });
    afterAll(() => app?.close());

    it('on random sequences of set, get, delete, getMany, setMany, deleteMany, invalidateTags, clear and getOrSet', async () => {
      await fc.assert(
        fc.asyncProperty(operations(), async (ops) => {
          await app.client.clear();
          await runAgainstModel(app.client, ops, new CacheModel());
        }),
        { numRuns: RUNS },
      );
    });
  });
}

let redis: RedisServer | undefined;
let memcached: ServerProcess[] = [];

beforeAll(async () => {
  [redis, ...memcached] = await Promise.all([
    startRedis(),
    startMemcached(),
    startMemcached(),
    startMemcached(),
  ]);
});
afterAll(async () => {
  await Promise.all([redis?.stop(), ...memcached.map((server) => server.stop())]);
});

describeModel('memory', () => ({ store: 'memory' }));
describeModel('redis', () => ({ store: 'redis', redis: { url: redis!.url } }));
describeModel('memcached pool', () => ({
  store: 'memcached',
  memcached: { servers: memcached.map((server) => server.address) },
}));

/** A memory cache whose TTLs run on `clock`, built as `CacheModule` builds one. */
function memoryCacheOn(clock: { now(): number }) {
  const logger = new Logger('model');
  vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
  const failures = new FailureLog(logger);
  const settings = { readRetries: 0, commandTimeout: 250 };
  const codec = new EntryCodec(faithfulSerializer);
  const store = new SafeStore(new MemoryStore({}, clock), failures, settings);
  const tagVersions = new SafeStore(new MemoryStore({}, clock), failures, settings);
  const memo = new DecodedMemo(codec, { maxEntries: 10_000 });
  return new DistributedCacheClient(store, codec, undefined, memo, { tagVersions });
}

describe('the memory store agrees with a plain map, with TTLs on its own clock', () => {
  it('on random sequences of calls with TTLs, the clock moved between them (no sleeps)', async () => {
    await fc.assert(
      fc.asyncProperty(operations([5, 50, 200]), async (ops) => {
        // lru-cache takes a start time of 0 for "no TTL": the clock starts later.
        let now = 1_000_000;
        const clock = { now: () => now };
        const client = memoryCacheOn(clock);
        try {
          await runAgainstModel(client, ops, new CacheModel(clock.now), (ms) => (now += ms));
        } finally {
          await client.close();
        }
      }),
      { numRuns: 200 },
    );
  });
});
