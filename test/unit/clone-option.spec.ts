import { Logger } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { CacheOptionsError, faithfulSerializer, MemoryStore } from '../../lib/index.js';
import { DistributedCacheClient } from '../../lib/client/distributed-cache.client.js';
import { SafeStore } from '../../lib/client/safe-store.js';
import { validateOptions } from '../../lib/options/validate-options.js';
import { FailureLog } from '../../lib/resilience/failure-log.js';
import { EntryCodec } from '../../lib/serialization/entry-codec.js';

function client() {
  const safe = new SafeStore(new MemoryStore(), new FailureLog(new Logger('test')), {
    readRetries: 0,
    commandTimeout: 100,
  });
  return new DistributedCacheClient(safe, new EntryCodec(faithfulSerializer), undefined);
}

describe('clone and type options', () => {
  it('module option clone: true by default, a boolean or a startup error naming it', () => {
    expect(validateOptions({}).clone).toBe(true);
    expect(validateOptions({ clone: false }).clone).toBe(false);
    expect(() => validateOptions({ clone: 'no' as never })).toThrow(/"clone": "no"/);
  });

  it('the default serializer is the faithful one', () => {
    expect(validateOptions({}).serializer).toBe(faithfulSerializer);
  });

  it('get() and getOrSet() refuse a bad clone or type, naming the option', async () => {
    const cache = client();
    await expect(cache.get('k', { clone: 1 as never })).rejects.toThrow(CacheOptionsError);
    await expect(cache.get('k', { type: 'User' as never })).rejects.toThrow(/type of get\(\)/);
    await expect(cache.getOrSet('k', () => 1, { type: [] as never })).rejects.toThrow(
      /type of getOrSet\(\)/,
    );
  });
});
