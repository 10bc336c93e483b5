import { describe, expect, it } from 'vitest';
import {
  cacheOptionsFromEnv,
  DEFAULT_CACHE_KEY_PREFIX,
  DEFAULT_CACHE_TTL,
  parseCacheTtl,
  storeOptionsFromUrl,
} from '../../sample-app/cache-config.js';

describe('sample app: cache options from the environment', () => {
  describe('CACHE_URL', () => {
    it('chooses the memory store when it is unset or blank', () => {
      expect(storeOptionsFromUrl(undefined)).toEqual({ store: 'memory' });
      expect(storeOptionsFromUrl('  ')).toEqual({ store: 'memory' });
    });

    it('passes a redis:// URL to the Redis store as is', () => {
      expect(storeOptionsFromUrl('redis://127.0.0.1:7001')).toEqual({
        store: 'redis',
        redis: { url: 'redis://127.0.0.1:7001' },
      });
    });

    it('accepts rediss:// (TLS) with credentials and a database', () => {
      const url = 'rediss://app:s3cret@cache.internal:6380/2';
      expect(storeOptionsFromUrl(url)).toEqual({ store: 'redis', redis: { url } });
    });

    it('passes a memcached:// URL, credentials and all, to the Memcached store as is', () => {
      const url = 'memcached://app:p%40ss@10.0.0.1:11311,cache-2';
      expect(storeOptionsFromUrl(url)).toEqual({ store: 'memcached', memcached: { url } });
    });

    it.each([
      ['an unknown scheme', 'mongodb://localhost:27017', /unknown scheme "mongodb:\/\/"/],
      ['no scheme', 'localhost:6379', /no scheme/],
      ['a Redis URL without a host', 'redis://', /not a valid URL|no host/],
    ])('rejects %s with an error naming CACHE_URL and the accepted forms', (_, url, reason) => {
      const parse = () => storeOptionsFromUrl(url);
      expect(parse).toThrow(/^Invalid CACHE_URL /);
      expect(parse).toThrow(reason);
      expect(parse).toThrow(/Use redis:\/\/host:port, rediss:\/\/host:port or memcached:\/\//);
    });

    it('does not echo a password in its error', () => {
      expect(() => storeOptionsFromUrl('ftp://app:hunter2@h1:21')).toThrow(
        /^Invalid CACHE_URL "ftp:\/\/app:\*\*\*@h1:21"/,
      );
      expect(() => storeOptionsFromUrl('ftp://app:hunter2@h1:21')).not.toThrow(/hunter2/);
    });
  });

  describe('CACHE_TTL', () => {
    it('defaults when unset', () => {
      expect(parseCacheTtl(undefined)).toBe(DEFAULT_CACHE_TTL);
    });

    it('reads a bare number as seconds', () => {
      expect(parseCacheTtl('90')).toBe(90);
      expect(parseCacheTtl('0.5')).toBe(0.5);
    });

    it('keeps a duration string for the cache module to parse', () => {
      expect(parseCacheTtl('30s')).toBe('30s');
      expect(parseCacheTtl('500ms')).toBe('500ms');
    });

    it('rejects anything else with an error naming CACHE_TTL', () => {
      expect(() => parseCacheTtl('soon')).toThrow(/^Invalid CACHE_TTL "soon"/);
      expect(() => parseCacheTtl('-5')).toThrow(/^Invalid CACHE_TTL "-5"/);
    });
  });

  describe('cacheOptionsFromEnv', () => {
    it('with an empty environment: the memory store, default TTL and key prefix', () => {
      expect(cacheOptionsFromEnv({})).toEqual({
        store: 'memory',
        ttl: DEFAULT_CACHE_TTL,
        keyPrefix: DEFAULT_CACHE_KEY_PREFIX,
      });
    });

    it('combines CACHE_URL, CACHE_TTL and CACHE_KEY_PREFIX', () => {
      expect(
        cacheOptionsFromEnv({
          CACHE_URL: 'memcached://h1:1',
          CACHE_TTL: '10m',
          CACHE_KEY_PREFIX: 'shop:',
        }),
      ).toEqual({
        store: 'memcached',
        memcached: { url: 'memcached://h1:1' },
        ttl: '10m',
        keyPrefix: 'shop:',
      });
    });
  });
});
