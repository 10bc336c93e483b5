import { describe, expect, it } from 'vitest';
import { CacheOptionsError } from '../../lib/index.js';
import { validateOptions } from '../../lib/options/validate-options.js';

const resolve = (url: unknown, extra: Record<string, unknown> = {}) =>
  validateOptions({ memcached: { url, ...extra } as never });

/** What the memcached driver gets for `url`. */
function settings(url: string, extra: Record<string, unknown> = {}) {
  const resolved = resolve(url, extra);
  if (resolved.store !== 'memcached') throw new Error(`store ${String(resolved.store)}`);
  return resolved.memcached;
}

describe('memcached.url', () => {
  it('reads memcached://h1:p1,h2:p2 as a pool of those servers, in order', () => {
    expect(resolve('memcached://10.0.0.1:11311,cache-2:11312')).toMatchObject({
      store: 'memcached',
      memcached: {
        servers: [
          { host: '10.0.0.1', port: 11311, weight: 1 },
          { host: 'cache-2', port: 11312, weight: 1 },
        ],
      },
    });
  });

  it('gives a server without a port 11211, and keeps weights and IPv6 hosts', () => {
    expect(settings('memcached://cache-1,[::1]:11312:3/')).toMatchObject({
      servers: [
        { host: 'cache-1', port: 11211, weight: 1 },
        { host: '::1', port: 11312, weight: 3 },
      ],
    });
  });

  it('decodes user:password@ into the SASL credentials of every server', () => {
    expect(settings('memcached://app:p%40ss%3Aw@h1:1,h2:2')).toMatchObject({
      servers: [
        { host: 'h1', port: 1 },
        { host: 'h2', port: 2 },
      ],
      username: 'app',
      password: 'p@ss:w',
    });
  });

  it('takes username/password beside a URL without credentials', () => {
    expect(settings('memcached://h1:1', { username: 'u', password: 'p' })).toMatchObject({
      username: 'u',
      password: 'p',
    });
  });

  it.each<[string, unknown, RegExp]>([
    ['a Redis URL', 'redis://cache:6379', /For Redis, use store: 'redis' with redis\.url\./],
    ['another protocol', 'http://cache:11211', /Use memcached:\/\/\[user:password@\]host/],
    ['no server', 'memcached://', /Use memcached:\/\//],
    ['an empty server in the list', 'memcached://a:1,,b:2', /Use memcached:\/\//],
    ['a port out of range', 'memcached://a:70000', /Use memcached:\/\//],
    ['a path', 'memcached://a:1/db', /Use memcached:\/\//],
    ['a user without a password', 'memcached://app@a:1', /Credentials are user:password/],
    ['a malformed escape', 'memcached://app:%E0%A4%A@a:1', /Credentials are user:password/],
    ['not a string', 11211, /Use memcached:\/\//],
  ])('refuses %s, naming memcached.url', (_, url, message) => {
    let error: unknown;
    try {
      resolve(url);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CacheOptionsError);
    expect((error as CacheOptionsError).option).toBe('memcached.url');
    expect((error as Error).message).toMatch(message);
  });

  it('refuses credentials given twice', () => {
    expect(() => resolve('memcached://u:p@h1:1', { username: 'u' })).toThrow(
      /"memcached\.username": "u"\. memcached\.url already has credentials/,
    );
  });
});
