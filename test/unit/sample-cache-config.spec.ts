import { describe, expect, it } from 'vitest';
import {
  cacheOptionsFromEnv,
  DEFAULT_CACHE_KEY_PREFIX,
  DEFAULT_CACHE_TTL,
  parseCacheL1,
  parseCacheTtl,
  storeOptionsFromUrl,
  tierOptionsFromEnv,
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

  describe('CACHE_L1', () => {
    it.each(['1', 'true', 'TRUE', ' True '])('turns the tier on for %j', (value) => {
      expect(parseCacheL1(value)).toBe(true);
    });

    it.each([undefined, '', '  ', '0', 'false', 'FALSE'])('leaves it off for %j', (value) => {
      expect(parseCacheL1(value)).toBe(false);
    });

    it.each(['yes', '2', 'on', 'l1', '{ "maxEntries": 10 }'])(
      'rejects %j with an error naming CACHE_L1 and the accepted forms',
      (value) => {
        const parse = () => parseCacheL1(value);
        expect(parse).toThrow(`Invalid CACHE_L1 ${JSON.stringify(value)}`);
        expect(parse).toThrow(/use 1 or true .* 0 or false/);
      },
    );

    it('gives the package l1 with its defaults on a Redis or Memcached cache', () => {
      expect(tierOptionsFromEnv({ CACHE_L1: '1' }, 'redis')).toEqual({ l1: true });
      expect(tierOptionsFromEnv({ CACHE_L1: 'true' }, 'memcached')).toEqual({ l1: true });
    });

    it('gives the package neither l1 nor bus when off', () => {
      expect(tierOptionsFromEnv({}, 'redis')).toEqual({});
      expect(tierOptionsFromEnv({ CACHE_L1: '0' }, 'memory')).toEqual({});
    });

    it('refuses the memory store, naming CACHE_L1 and CACHE_URL', () => {
      const tiers = () => tierOptionsFromEnv({ CACHE_L1: '1' }, 'memory');
      expect(tiers).toThrow(/^CACHE_L1=1 needs a shared store/);
      expect(tiers).toThrow(
        /Set CACHE_URL to a redis:\/\/ or memcached:\/\/ URL, or unset CACHE_L1/,
      );
    });
  });

  describe('CACHE_BUS_URL', () => {
    it('gives a Memcached cache with L1 a bus on that Redis', () => {
      const env = { CACHE_L1: '1', CACHE_BUS_URL: 'redis://10.0.0.5:6380' };
      expect(tierOptionsFromEnv(env, 'memcached')).toEqual({
        l1: true,
        bus: { redis: { url: 'redis://10.0.0.5:6380' } },
      });
    });

    it('gives a Redis cache a bus on another Redis when asked', () => {
      const env = { CACHE_L1: '1', CACHE_BUS_URL: 'rediss://bus.internal:6380' };
      expect(tierOptionsFromEnv(env, 'redis')).toEqual({
        l1: true,
        bus: { redis: { url: 'rediss://bus.internal:6380' } },
      });
    });

    it('refuses a bus without the L1 tier, naming both variables', () => {
      const env = { CACHE_BUS_URL: 'redis://10.0.0.5:6380' };
      expect(() => tierOptionsFromEnv(env, 'memcached')).toThrow(
        /^CACHE_BUS_URL carries the invalidations of the L1 tier, which is off: set CACHE_L1=1/,
      );
    });

    it.each([
      ['a Memcached URL', 'memcached://h1:11211', /"memcached:\/\/" is not a Redis URL/],
      ['no scheme', '10.0.0.5:6380', /no scheme/],
      ['a Redis URL without a host', 'redis://', /not a valid URL|no host/],
    ])('rejects %s with an error naming CACHE_BUS_URL', (_, url, reason) => {
      const tiers = () => tierOptionsFromEnv({ CACHE_L1: '1', CACHE_BUS_URL: url }, 'memcached');
      expect(tiers).toThrow(/^Invalid CACHE_BUS_URL /);
      expect(tiers).toThrow(reason);
      expect(tiers).toThrow(/Use redis:\/\/host:port or rediss:\/\/host:port\.$/);
    });

    it('does not echo a password in its error', () => {
      const env = { CACHE_L1: '1', CACHE_BUS_URL: 'http://bus:hunter2@h1:80' };
      expect(() => tierOptionsFromEnv(env, 'memcached')).toThrow(
        /^Invalid CACHE_BUS_URL "http:\/\/bus:\*\*\*@h1:80"/,
      );
      expect(() => tierOptionsFromEnv(env, 'memcached')).not.toThrow(/hunter2/);
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

    it('adds l1 and bus from CACHE_L1 and CACHE_BUS_URL', () => {
      expect(
        cacheOptionsFromEnv({
          CACHE_URL: 'memcached://h1:1',
          CACHE_L1: '1',
          CACHE_BUS_URL: 'redis://h2:2',
        }),
      ).toEqual({
        store: 'memcached',
        memcached: { url: 'memcached://h1:1' },
        l1: true,
        bus: { redis: { url: 'redis://h2:2' } },
        ttl: DEFAULT_CACHE_TTL,
        keyPrefix: DEFAULT_CACHE_KEY_PREFIX,
      });
    });

    it('refuses CACHE_L1=1 without CACHE_URL', () => {
      expect(() => cacheOptionsFromEnv({ CACHE_L1: '1' })).toThrow(
        /^CACHE_L1=1 needs a shared store/,
      );
    });
  });
});
