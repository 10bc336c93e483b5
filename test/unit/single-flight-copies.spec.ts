import { Logger } from '@nestjs/common';
import { describe, expect, it, vi } from 'vitest';
import { faithfulSerializer, MemoryStore } from '../../lib/index.js';
import {
  DistributedCacheClient,
  type WritePolicy,
} from '../../lib/client/distributed-cache.client.js';
import { SafeStore } from '../../lib/client/safe-store.js';
import { FailureLog } from '../../lib/resilience/failure-log.js';
import { DecodedMemo } from '../../lib/serialization/decoded-memo.js';
import { EntryCodec } from '../../lib/serialization/entry-codec.js';

class Connection {
  constructor(public id: number) {}
}

/** A client over the in-process store; without the memo it decodes every read, as over a network. */
function client({ memo = true } = {}) {
  const logger = new Logger('test');
  vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
  const codec = new EntryCodec(faithfulSerializer);
  const safe = new SafeStore(new MemoryStore(), new FailureLog(logger), {
    readRetries: 0,
    commandTimeout: 100,
  });
  const decoded = memo ? new DecodedMemo(codec, { maxEntries: 100 }) : undefined;
  return new DistributedCacheClient(safe, codec, undefined, decoded);
}

/** Five concurrent `cached` calls on one cold key, the loader answering after a tick. */
function stampede<T>(cache: DistributedCacheClient, value: T, policy: WritePolicy) {
  let loads = 0;
  const load = async () => {
    loads++;
    await new Promise((resolve) => setTimeout(resolve, 10));
    return value;
  };
  const calls = Array.from({ length: 5 }, () => cache.cached('k', load, policy));
  return Promise.all(calls).then((results) => ({ results, loads }));
}

describe('callers that join a load', () => {
  it('get their own copy of a value that unless kept out of the cache', async () => {
    const cache = client();
    const value = { at: new Date(0), list: [1] };
    const { results, loads } = await stampede(cache, value, {
      ttlMs: undefined,
      shouldStore: () => false,
    });
    expect(loads).toBe(1);
    expect(results[0]).toBe(value);
    expect(new Set(results).size).toBe(5);
    for (const result of results.slice(1)) expect(result).toStrictEqual(value);
    expect(await cache.has('k')).toBe(false);
  });

  it('share the one object a value the cache cannot encode is', async () => {
    const connection = new Connection(1);
    const { results } = await stampede(client(), connection, { ttlMs: undefined });
    expect(results.every((result) => result === connection)).toBe(true);
  });

  it('get instances of type', async () => {
    const { results } = await stampede(client(), new Connection(1), {
      ttlMs: undefined,
      type: Connection,
    });
    expect(new Set(results).size).toBe(5);
    for (const result of results) expect(result).toStrictEqual(new Connection(1));
  });

  it('with clone: false, share one frozen value, also without an in-process memo', async () => {
    for (const cache of [client(), client({ memo: false })]) {
      const { results } = await stampede(cache, { n: 1 }, { ttlMs: undefined, clone: false });
      const joined = results.slice(1);
      expect(new Set(joined).size).toBe(1);
      expect(Object.isFrozen(joined[0])).toBe(true);
      expect(Object.isFrozen(results[0])).toBe(false);
    }
  });
});
