import { describe, expect, it } from 'vitest';
import { CacheOptionsError, type CacheModuleOptions } from '../../lib/index.js';
import { CACHE_DEFAULTS } from '../../lib/options/cache-defaults.js';
import { validateOptions } from '../../lib/options/validate-options.js';

const url = 'redis://127.0.0.1:7001';
const servers = ['127.0.0.1:11311'];

/** The error `validateOptions` throws for `options`. */
function refusal(options: unknown): CacheOptionsError {
  try {
    validateOptions(options as CacheModuleOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(CacheOptionsError);
    expect((error as CacheOptionsError).code).toBe('E_CACHE_INVALID_OPTION');
    return error as CacheOptionsError;
  }
  throw new Error(`accepted ${JSON.stringify(options)}`);
}

describe('validateOptions', () => {
  describe('nested options are checked as strictly as top-level ones', () => {
    it.each<[string, unknown, string, RegExp]>([
      ["memory: 'big'", { memory: 'big' }, 'memory', /"big"\. Use an object/],
      ["isGlobal: 'yes'", { isGlobal: 'yes' }, 'isGlobal', /"yes"\. Use true or false/],
      [
        "redis: { url, tls: 'yes' }",
        { redis: { url, tls: 'yes' } },
        'redis.tls',
        /"yes"\. Use true, or an object of Node tls\.connect options/,
      ],
      [
        'redis: { urll }',
        { redis: { urll: 'redis://cache:6379' } },
        'redis.urll',
        /"redis:\/\/cache:6379"\. Unknown option; did you mean 'url'\?/,
      ],
      ['redis: { url, bogus: 1 }', { redis: { url, bogus: 1 } }, 'redis.bogus', /: 1\. Unknown/],
      [
        'memcached: { servers, bogus: 1 }',
        { memcached: { servers, bogus: 1 } },
        'memcached.bogus',
        /: 1\. Unknown option; known options are: url, servers/,
      ],
      [
        'memory: { maxEntriess: 5 }',
        { memory: { maxEntriess: 5 } },
        'memory.maxEntriess',
        /: 5\. Unknown option; did you mean 'maxEntries'\?/,
      ],
      ['redis.host not a string', { redis: { host: 42 } }, 'redis.host', /: 42\. Use a non-empty/],
      ['redis.port out of range', { redis: { host: 'h', port: 70000 } }, 'redis.port', /70000/],
      ['redis.db negative', { redis: { url, db: -1 } }, 'redis.db', /-1\. Use a whole number/],
      ['redis.username not a string', { redis: { url, username: 7 } }, 'redis.username', /7/],
      ['redis.options not an object', { redis: { url, options: 'x' } }, 'redis.options', /"x"/],
      ['redis: []', { redis: [] }, 'redis', /Use an object/],
      ['memcached: true', { memcached: true }, 'memcached', /true\. Use an object/],
      ['memory.maxSize 0', { memory: { maxSize: 0 } }, 'memory.maxSize', /0\. Use a whole/],
      ['clone not a boolean', { clone: 'no' }, 'clone', /"no"\. Use true or false/],
      ['readRetries negative', { readRetries: -1 }, 'readRetries', /-1/],
      [
        'memcached.connectTimeout not a number',
        { memcached: { servers, connectTimeout: '1s' } },
        'memcached.connectTimeout',
        /"1s"\. Use a number greater than 0/,
      ],
      [
        'memcached.namespaceRefreshMs negative',
        { memcached: { servers, namespaceRefreshMs: -1 } },
        'memcached.namespaceRefreshMs',
        /-1/,
      ],
      [
        'memcached.maxValueSize 0',
        { memcached: { servers, maxValueSize: 0 } },
        'memcached.maxValueSize',
        /0/,
      ],
      ['redis.poolSize 0', { redis: { url, poolSize: 0 } }, 'redis.poolSize', /0\. Use a whole/],
      ['redis.poolSize 1.5', { redis: { url, poolSize: 1.5 } }, 'redis.poolSize', /1\.5/],
      [
        'memcached.poolSize not a number',
        { memcached: { servers, poolSize: '2' } },
        'memcached.poolSize',
        /"2"\. Use a whole number of at least 1/,
      ],
      [
        'redis.poolSize above 1 with a client of your own',
        { redis: { client: { get() {}, on() {} }, poolSize: 2 } },
        'redis.poolSize',
        /Not above 1 with redis\.client/,
      ],
      [
        'memcached.poolSize above 1 with a client of your own',
        { memcached: { client: { get() {}, servers: [] }, poolSize: 2 } },
        'memcached.poolSize',
        /Not above 1 with memcached\.client/,
      ],
      [
        'bus.redis.poolSize',
        { redis: { url }, l1: true, bus: { redis: { url, poolSize: 2 } } },
        'bus.redis.poolSize',
        /remove poolSize from bus\.redis/,
      ],
      [
        'a misspelled top-level option',
        { keyprefix: 'a:' },
        'keyprefix',
        /did you mean 'keyPrefix'/,
      ],
    ])('refuses %s, naming the full option path', (_, options, option, message) => {
      const error = refusal(options);
      expect(error.option).toBe(option);
      expect(error.message).toContain(`Invalid cache option "${option}"`);
      expect(error.message).toMatch(message);
    });

    it('never shows a password in a message', () => {
      const cases = [
        { redis: { url, password: 12345678 } },
        { redis: { url: 'http://user:hunter2@cache:6379' } },
        { store: 'memory', redis: { url: 'redis://user:hunter2@cache:6379', password: 'hunter2' } },
        { memcached: { servers: ['user:hunter2@cache:11211'] } },
        { memcached: { url: 'memcached://user:hunter2@cache:11211', servers } },
        { memcached: { url: 'memcache://user:hunter2@cache:11211' } },
      ];
      for (const options of cases) expect(refusal(options).message).not.toMatch(/hunter2|12345678/);
    });
  });

  describe('redis.cluster and redis.sentinel: ours and ioredis options, nothing else', () => {
    const nodes = [{ host: '127.0.0.1', port: 7000 }];
    const sentinel = { sentinels: [{ host: '127.0.0.1', port: 26379 }], name: 'mymaster' };

    it('accepts ioredis ClusterOptions beside nodes, and RedisOptions beside sentinels/name', () => {
      const cluster = { nodes, scaleReads: 'slave', redisOptions: { password: 'x' } } as const;
      expect(validateOptions({ redis: { cluster } })).toMatchObject({ redis: { cluster } });
      const withOptions = { ...sentinel, sentinelPassword: 'x', enableTLSForSentinelMode: false };
      expect(validateOptions({ redis: { sentinel: withOptions } })).toMatchObject({
        redis: { sentinel: withOptions },
      });
    });

    it('refuses a key that is neither ours nor an ioredis option, suggesting the close one', () => {
      const cluster = refusal({ redis: { cluster: { nodes, retryDelayOnFailovr: 10 } } });
      expect(cluster.option).toBe('redis.cluster.retryDelayOnFailovr');
      expect(cluster.message).toMatch(/did you mean 'retryDelayOnFailover'\?/);
      const far = refusal({ redis: { cluster: { nodes, bogus: 1 } } });
      expect(far.message).toMatch(/known options are 'nodes' and ioredis's ClusterOptions/);
      const typo = refusal({ redis: { sentinel: { ...sentinel, sentinelPasword: 'x' } } });
      expect(typo.option).toBe('redis.sentinel.sentinelPasword');
      expect(typo.message).toMatch(/did you mean 'sentinelPassword'\?/);
    });

    it('checks nodes, sentinels and name', () => {
      expect(refusal({ redis: { cluster: { nodes: [] } } }).option).toBe('redis.cluster.nodes');
      expect(refusal({ redis: { cluster: { nodes: [{ hots: 'a' }] } } }).option).toBe(
        'redis.cluster.nodes[0].hots',
      );
      expect(refusal({ redis: { cluster: { nodes: [{ port: 0 }] } } }).option).toBe(
        'redis.cluster.nodes[0].port',
      );
      expect(refusal({ redis: { sentinel: { name: 'm', sentinels: [] } } }).option).toBe(
        'redis.sentinel.sentinels',
      );
      expect(refusal({ redis: { sentinel: { ...sentinel, name: '' } } }).option).toBe(
        'redis.sentinel.name',
      );
    });

    it('passes redis.options through as free-form ioredis options', () => {
      const options = { enableAutoPipelining: true, somethingNewInIoredis: 1 };
      expect(validateOptions({ redis: { url, options } })).toMatchObject({ redis: { options } });
    });
  });

  describe('options that would be silently ignored are refused', () => {
    it.each<[string, unknown, string]>([
      ['redis given with store memory', { store: 'memory', redis: { url } }, 'redis'],
      ['memory given with store redis', { store: 'redis', redis: { url }, memory: {} }, 'memory'],
      [
        'memcached given with store redis',
        { store: 'redis', redis: { url }, memcached: {} },
        'memcached',
      ],
      ['redis and memcached without store', { redis: { url }, memcached: { servers } }, 'store'],
      ['redis.url beside redis.client', { redis: { client: fakeRedis(), url } }, 'redis.url'],
      ['redis.host beside redis.url', { redis: { url, host: 'h' } }, 'redis.host'],
      [
        'redis.url beside redis.cluster',
        { redis: { cluster: { nodes: [7000] }, url } },
        'redis.url',
      ],
      [
        'redis.db beside redis.cluster',
        { redis: { cluster: { nodes: [7000] }, db: 1 } },
        'redis.db',
      ],
      [
        'redis.sentinel beside redis.cluster',
        { redis: { cluster: {}, sentinel: {} } },
        'redis.sentinel',
      ],
      ['redis without a location', { redis: { password: 'x' } }, 'redis'],
      [
        'memcached.servers beside memcached.url',
        { memcached: { url: 'memcached://h', servers } },
        'memcached.servers',
      ],
      [
        'memcached.servers beside memcached.client',
        { memcached: { client: fakeMemjs(), servers } },
        'memcached.servers',
      ],
      [
        'memcached.username without password',
        { memcached: { servers, username: 'u' } },
        'memcached.password',
      ],
    ])('refuses %s', (_, options, option) => {
      expect(refusal(options).option).toBe(option);
    });

    it('says which store was chosen and how to use the other section', () => {
      expect(refusal({ store: 'memory', redis: { url } }).message).toMatch(
        /The store is 'memory', which does not use the redis options: remove them, or set store: 'redis'\./,
      );
    });

    it('takes poolSize for redis and memcached, 1 when left out (and 1 beside a client of your own)', () => {
      expect(validateOptions({ redis: { url, poolSize: 4 } })).toMatchObject({
        redis: { url, poolSize: 4 },
      });
      expect(validateOptions({ memcached: { servers, poolSize: 4 } })).toMatchObject({
        memcached: { poolSize: 4 },
      });
      expect(validateOptions({ memcached: { servers } })).toMatchObject({
        memcached: { poolSize: CACHE_DEFAULTS.memcached.poolSize },
      });
      const client = { get() {}, on() {} } as never;
      expect(validateOptions({ redis: { client, poolSize: 1 } })).toMatchObject({
        redis: { client },
      });
    });

    it('accepts a location given inside redis.options', () => {
      expect(validateOptions({ redis: { options: { host: 'h', port: 7001 } } }).store).toBe(
        'redis',
      );
    });
  });

  describe('credentials in a memcached server address', () => {
    it('are refused, pointing to username/password or memcached.url', () => {
      const error = refusal({ memcached: { servers: ['ok:11311', 'user:secret@cache:11211'] } });
      expect(error.option).toBe('memcached.servers[1]');
      expect(error.message).toMatch(
        /Credentials do not go in a server address: give memcached\.username and memcached\.password \(or memcached\.url/,
      );
    });

    it('go in username/password, for every server of the pool', () => {
      const resolved = validateOptions({
        memcached: { servers: ['a:11311', 'b:11312'], username: 'app', password: 's3cret' },
      });
      expect(resolved).toMatchObject({ memcached: { username: 'app', password: 's3cret' } });
    });
  });

  describe('resolved options', () => {
    it('fills every default from CACHE_DEFAULTS', () => {
      expect(validateOptions()).toEqual({
        store: 'memory',
        memory: { maxEntries: CACHE_DEFAULTS.memory.maxEntries },
        name: undefined,
        ttlMs: undefined,
        keyPrefix: CACHE_DEFAULTS.keyPrefix,
        commandTimeout: CACHE_DEFAULTS.commandTimeout,
        maxValueSize: CACHE_DEFAULTS.maxValueSize,
        readRetries: CACHE_DEFAULTS.readRetries,
        circuitBreaker: { failures: 5, breakForMs: 1000 },
        serializer: CACHE_DEFAULTS.serializer,
        clone: CACHE_DEFAULTS.clone,
        tiers: undefined,
        load: {
          graceMs: 0,
          graceRetryMs: 10_000,
          softTimeoutMs: 0,
          hardTimeoutMs: 0,
          refreshAhead: undefined,
          distributedLock: false,
          guarded: false,
        },
      });
    });

    it('treats an option set to undefined as not given', () => {
      const resolved = validateOptions({
        commandTimeout: undefined,
        memory: { maxEntries: undefined },
      });
      expect(resolved).toMatchObject({ commandTimeout: 250, memory: { maxEntries: 10_000 } });
    });

    it('gives the memcached driver parsed servers and every setting, defaults included', () => {
      const resolved = validateOptions({
        memcached: { servers: ['10.0.0.1:11311', '[::1]:11312:2'], ejectAfterFailures: 3 },
      });
      expect(resolved).toMatchObject({
        store: 'memcached',
        memcached: {
          servers: [
            { host: '10.0.0.1', port: 11311, weight: 1 },
            { host: '::1', port: 11312, weight: 2 },
          ],
          ...CACHE_DEFAULTS.memcached,
          ejectAfterFailures: 3,
        },
      });
    });

    it('gives the redis driver tls: true as {}, and drops tls: false', () => {
      expect(validateOptions({ redis: { url, tls: true } })).toMatchObject({ redis: { tls: {} } });
      const plain = validateOptions({ redis: { url, tls: false } });
      expect(plain).toEqual(expect.objectContaining({ redis: { url } }));
    });

    it('checks the memcached keyPrefix where the memcached settings are resolved', () => {
      expect(refusal({ memcached: { servers }, keyPrefix: 'has space:' }).option).toBe('keyPrefix');
    });
  });

  describe('name', () => {
    it("makes the default keyPrefix 'cache:<name>:'", () => {
      expect(validateOptions({ name: 'sessions' })).toMatchObject({
        name: 'sessions',
        keyPrefix: 'cache:sessions:',
      });
    });

    it('leaves a keyPrefix given beside it alone', () => {
      expect(validateOptions({ name: 'sessions', keyPrefix: 's:' }).keyPrefix).toBe('s:');
    });

    it.each([[''], ['two words'], [42]])('refuses %j', (name) => {
      expect(refusal({ name }).option).toBe('name');
    });
  });

  it('takes clone: false', () => {
    expect(validateOptions({ clone: false }).clone).toBe(false);
  });

  describe('circuitBreaker', () => {
    it('is on by default with the CACHE_DEFAULTS values, breakFor in milliseconds', () => {
      expect(validateOptions().circuitBreaker).toEqual({ failures: 5, breakForMs: 1000 });
      expect(validateOptions({ circuitBreaker: true }).circuitBreaker).toEqual({
        failures: 5,
        breakForMs: 1000,
      });
    });

    it('takes failures and breakFor (seconds or a duration), and false turns it off', () => {
      const resolved = validateOptions({ circuitBreaker: { failures: 2, breakFor: '250ms' } });
      expect(resolved.circuitBreaker).toEqual({ failures: 2, breakForMs: 250 });
      expect(validateOptions({ circuitBreaker: { breakFor: 3 } }).circuitBreaker).toEqual({
        failures: 5,
        breakForMs: 3000,
      });
      expect(validateOptions({ circuitBreaker: false }).circuitBreaker).toBeUndefined();
    });

    it('refuses a bad failures, a breakFor of 0 or not a duration, and an unknown key', () => {
      const bad = (circuitBreaker: unknown) => () =>
        validateOptions({ circuitBreaker } as CacheModuleOptions);
      expect(bad({ failures: 0 })).toThrow(CacheOptionsError);
      expect(bad({ failures: 0 })).toThrow(/circuitBreaker\.failures/);
      expect(bad({ breakFor: 0 })).toThrow(/circuitBreaker\.breakFor/);
      expect(bad({ breakFor: 'soon' })).toThrow(/circuitBreaker\.breakFor/);
      expect(bad({ failure: 3 })).toThrow(/did you mean 'failures'/);
      expect(bad('on')).toThrow(/circuitBreaker/);
    });
  });

  describe('l1 and bus', () => {
    it('leaves the tier off without l1, or with l1: false', () => {
      expect(validateOptions({ redis: { url } }).tiers).toBeUndefined();
      expect(validateOptions({ redis: { url }, l1: false }).tiers).toBeUndefined();
    });

    it('takes l1: true as the defaults, on the Redis cache own server as its bus', () => {
      expect(validateOptions({ redis: { url }, l1: true }).tiers).toEqual({
        l1: { maxEntries: 10_000, maxSize: 64 * 1024 * 1024, ttlMs: 10_000 },
        bus: 'store',
      });
    });

    it('resolves the L1 bounds, l1.ttl like ttl, and 0 as no cap', () => {
      const options = { redis: { url }, l1: { maxEntries: 50, maxSize: 4096, ttl: '2s' } };
      expect(validateOptions(options).tiers?.l1).toEqual({
        maxEntries: 50,
        maxSize: 4096,
        ttlMs: 2000,
      });
      expect(validateOptions({ redis: { url }, l1: { ttl: 0 } }).tiers?.l1.ttlMs).toBe(Infinity);
    });

    it('gives a Memcached cache no bus unless bus.redis says where', () => {
      expect(validateOptions({ memcached: { servers }, l1: true }).tiers?.bus).toBeUndefined();
      expect(
        validateOptions({ memcached: { servers }, l1: true, bus: { redis: { url } } }).tiers?.bus,
      ).toEqual({ url });
    });

    it.each<[string, unknown, string, RegExp]>([
      ['l1 on the memory store', { l1: true }, 'l1', /in process already/],
      ["l1: 'yes'", { redis: { url }, l1: 'yes' }, 'l1', /Use an object such as true, or/],
      ['l1.maxEntrys', { redis: { url }, l1: { maxEntrys: 5 } }, 'l1.maxEntrys', /'maxEntries'/],
      [
        'l1.maxEntries: 0',
        { redis: { url }, l1: { maxEntries: 0 } },
        'l1.maxEntries',
        /at least 1/,
      ],
      ['l1.maxSize: -1', { redis: { url }, l1: { maxSize: -1 } }, 'l1.maxSize', /at least 1/],
      ['bus without l1', { redis: { url }, bus: { redis: { url } } }, 'bus', /add l1/],
      [
        'bus.redis.urll',
        { redis: { url }, l1: true, bus: { redis: { urll: url } } },
        'bus.redis.urll',
        /'url'/,
      ],
      [
        'bus.redis.port: 0',
        { redis: { url }, l1: true, bus: { redis: { port: 0 } } },
        'bus.redis.port',
        /from 1 to 65535/,
      ],
      [
        'bus.other',
        { redis: { url }, l1: true, bus: { channel: 'x' } },
        'bus.channel',
        /Unknown option/,
      ],
    ])('refuses %s, naming the option', (_, options, option, message) => {
      const error = refusal(options);
      expect(error.option).toBe(option);
      expect(error.message).toMatch(message);
    });

    it('refuses an l1.ttl that is not a duration, naming it', () => {
      expect(() => validateOptions({ redis: { url }, l1: { ttl: 'soon' } })).toThrow(/l1\.ttl/);
    });
  });
});

/** Enough of an ioredis client to pass as `redis.client`. */
function fakeRedis() {
  return { get: () => undefined, on: () => undefined } as never;
}

/** Enough of a memjs client to pass as `memcached.client`. */
function fakeMemjs() {
  return { get: () => undefined, servers: [] } as never;
}
