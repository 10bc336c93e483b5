import { describe, expect, it } from 'vitest';
import { CacheError } from '../../lib/index.js';
import { validateOptions } from '../../lib/options/validate-options.js';

/** Values no option takes (each option's own legitimate ones are listed in `ACCEPTED`). */
const HOSTILE: Record<string, unknown> = {
  'a wrong type': {},
  'a negative': -1,
  NaN: NaN,
  Infinity: Infinity,
  'an empty string': '',
  true: true,
  'an array': [],
};

/** `{}` and `true` turn a section on with its defaults; `true` is a flag's own value. */
const ACCEPTED = new Set([
  'clone true',
  'refreshAhead true',
  'circuitBreaker a wrong type',
  'circuitBreaker true',
  'memory a wrong type',
  'redis.tls a wrong type',
  'redis.tls true',
  'l1 a wrong type',
  'l1 true',
]);

const OPTIONS = [
  'store',
  'name',
  'ttl',
  'keyPrefix',
  'commandTimeout',
  'maxValueSize',
  'readRetries',
  'clone',
  'serializer',
  'grace',
  'graceRetry',
  'softTimeout',
  'hardTimeout',
  'refreshAhead',
  'lock',
  'circuitBreaker',
  'circuitBreaker.failures',
  'circuitBreaker.breakFor',
  'memory',
  'memory.maxEntries',
  'memory.maxSize',
  'redis.url',
  'redis.host',
  'redis.port',
  'redis.db',
  'redis.tls',
  'redis.poolSize',
  'memcached.servers',
  'memcached.maxValueSize',
  'memcached.namespaceRefreshMs',
  'memcached.connectTimeout',
  'memcached.ejectAfterFailures',
  'memcached.retryEjectedAfterMs',
  'memcached.poolSize',
  'l1',
  'l1.maxEntries',
  'l1.maxSize',
  'l1.ttl',
];

/** What a section needs beside the option under test to be complete. */
const BASES: Record<string, Record<string, unknown>> = {
  redis: { redis: { host: '127.0.0.1' } },
  memcached: { memcached: { servers: ['127.0.0.1:11311'] } },
  l1: { redis: { host: '127.0.0.1' } },
};

function optionsWith(path: string, value: unknown): Record<string, unknown> {
  const [section, field] = path.split('.');
  const options: Record<string, unknown> = structuredClone(BASES[section] ?? {});
  if (field === undefined) options[section] = value;
  else options[section] = { ...(options[section] as object), [field]: value };
  return options;
}

function refusal(options: Record<string, unknown>): unknown {
  try {
    validateOptions(options);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('hostile options', () => {
  const cases = OPTIONS.flatMap((path) =>
    Object.entries(HOSTILE)
      .filter(([kind]) => !ACCEPTED.has(`${path} ${kind}`))
      .map(([kind, value]) => [path, kind, value] as const),
  );

  it.each(cases)('refuses %s given %s at startup, naming it', (path, _kind, value) => {
    const error = refusal(optionsWith(path, value));
    expect(error).toBeInstanceOf(CacheError);
    const { code, message } = error as CacheError;
    expect(['E_CACHE_INVALID_OPTION', 'E_CACHE_INVALID_TTL']).toContain(code);
    const named = path.split('.').pop()!;
    expect(message).toContain(named);
  });

  it.each(['', 'circuitBreaker', 'memory', 'redis', 'memcached', 'l1'])(
    'refuses an unknown key in %s, naming it',
    (section) => {
      const options = section === '' ? { bogus: 1 } : optionsWith(`${section}.bogus`, 1);
      const error = refusal(options);
      expect(error).toBeInstanceOf(CacheError);
      expect((error as CacheError).code).toBe('E_CACHE_INVALID_OPTION');
      expect((error as CacheError).message).toContain('bogus');
    },
  );

  it('refuses a keyPrefix that is not well-formed UTF-16 (it would not survive UTF-8)', () => {
    for (const keyPrefix of ['app\uD800:', 'app\uDC00:']) {
      const error = refusal({ keyPrefix });
      expect((error as CacheError).code).toBe('E_CACHE_INVALID_OPTION');
      expect((error as CacheError).message).toContain('keyPrefix');
    }
  });

  it('leaves Object.prototype alone, whatever the options hold', () => {
    const hostile = JSON.parse('{"__proto__":{"polluted":true},"memory":{"__proto__":{"x":1}}}');
    expect(refusal(hostile)).toBeInstanceOf(CacheError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
