import { describe, expect, it } from 'vitest';
import { CacheConnectTimeoutError, CacheError, CacheTimeoutError } from '../../lib/index.js';
import { backoff, isTimeout, withReadRetry } from '../../lib/resilience/read-retry.js';

const failing = (errors: Error[], value = 'ok') => {
  let calls = 0;
  const read = async () => {
    const error = errors[calls++];
    if (error) throw error;
    return value;
  };
  return { read, calls: () => calls };
};

describe('withReadRetry', () => {
  it('retries a read that failed fast and returns its value', async () => {
    const store = failing([new Error('ECONNRESET')]);
    expect(await withReadRetry(store.read, 2, 1000)).toBe('ok');
    expect(store.calls()).toBe(2);
  });

  it('stops after the allowed number of retries', async () => {
    const store = failing([new Error('a'), new Error('b'), new Error('c')]);
    await expect(withReadRetry(store.read, 1, 1000)).rejects.toThrow('b');
    expect(store.calls()).toBe(2);
  });

  it('does not retry a timeout', async () => {
    const timeouts = failing([new CacheTimeoutError('redis', 250)]);
    await expect(withReadRetry(timeouts.read, 3, 1000)).rejects.toBeInstanceOf(CacheTimeoutError);
    expect(timeouts.calls()).toBe(1);
  });

  it('goes by the error class, never by the message: an Error saying "timed out" is retried', async () => {
    const worded = failing([new Error('Command timed out')]);
    expect(await withReadRetry(worded.read, 3, 1000)).toBe('ok');
    expect(worded.calls()).toBe(2);
  });

  it('does not retry past its budget', async () => {
    const store = failing([new Error('a'), new Error('b')]);
    await expect(withReadRetry(store.read, 5, 5)).rejects.toThrow('a');
    expect(store.calls()).toBe(1);
  });

  it('never retries a synchronous store', () => {
    let calls = 0;
    expect(withReadRetry(() => ++calls, 3, 1000)).toBe(1);
  });

  it('answers the last failure with onFailure, after the retries, instead of rejecting', async () => {
    const store = failing([new Error('a'), new Error('b'), new Error('c')]);
    const seen: unknown[] = [];
    const onFailure = (error: unknown) => {
      seen.push(error);
      return 'fallback';
    };
    expect(await withReadRetry(store.read, 1, 1000, onFailure)).toBe('fallback');
    expect(store.calls()).toBe(2);
    expect(seen).toEqual([new Error('b')]);
  });

  it('answers a synchronous throw and a read without retries with onFailure too', async () => {
    const thrown = () => {
      throw new Error('sync');
    };
    expect(withReadRetry(thrown, 3, 1000, () => 'fallback')).toBe('fallback');
    const store = failing([new Error('a')]);
    expect(await withReadRetry(store.read, 0, 1000, () => 'fallback')).toBe('fallback');
    expect(await withReadRetry(failing([]).read, 1, 1000, () => 'fallback')).toBe('ok');
  });
});

describe('isTimeout', () => {
  it('is true for a CacheTimeoutError and its connect-timeout subclass only', () => {
    expect(isTimeout(new CacheTimeoutError('redis', 250))).toBe(true);
    expect(isTimeout(new CacheConnectTimeoutError('memcached', '127.0.0.1:1', 1000))).toBe(true);
    expect(isTimeout(new Error('Command timed out'))).toBe(false);
    expect(isTimeout(new Error('socket timed out waiting on response.'))).toBe(false);
    expect(isTimeout(new CacheError('E_CACHE_CORRUPTED_ENTRY', 'x'))).toBe(false);
  });

  it('CacheTimeoutError is a CacheError with code E_CACHE_TIMEOUT naming the option', () => {
    const error = new CacheTimeoutError('redis', 250);
    expect(error).toBeInstanceOf(CacheError);
    expect(error).toMatchObject({ code: 'E_CACHE_TIMEOUT', name: 'CacheTimeoutError' });
    expect(error.message).toMatch(/250 ms \(commandTimeout\)/);
    const connect = new CacheConnectTimeoutError('memcached', '127.0.0.1:1', 1000);
    expect(connect).toMatchObject({ code: 'E_CACHE_TIMEOUT', name: 'CacheConnectTimeoutError' });
    expect(connect.message).toMatch(/memcached\.connectTimeout/);
  });
});

describe('backoff', () => {
  it('grows exponentially in milliseconds with up to 100% jitter', () => {
    for (let attempt = 0; attempt < 4; attempt++) {
      const base = 10 * 2 ** attempt;
      for (let i = 0; i < 50; i++) {
        const delay = backoff(attempt);
        expect(delay).toBeGreaterThanOrEqual(base);
        expect(delay).toBeLessThanOrEqual(2 * base);
      }
    }
  });
});
