import { ReplyError } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  CacheAuthError,
  CacheError,
  CachePermissionError,
  CacheTlsError,
} from '../../lib/errors.js';
import {
  explainRedisFailure,
  REDIS_SENTINEL,
  redisReplyCode,
} from '../../lib/stores/redis/redis-failures.js';

/** An error reply as ioredis hands it over. */
const reply = (text: string): Error => new ReplyError(text) as Error;
/** A Node socket or TLS error, which carries a `code`. */
const nodeError = (code: string): Error => Object.assign(new Error('any text'), { code });

describe('Redis failures that need a change of configuration', () => {
  it("reads a reply's error code from its first word, and only from a Redis error reply", () => {
    expect(redisReplyCode(reply('NOPERM this user has no permissions'))).toBe('NOPERM');
    expect(redisReplyCode(reply('WRONGPASS invalid username-password pair'))).toBe('WRONGPASS');
    expect(redisReplyCode(new Error('NOPERM looks like a reply but is not one'))).toBeUndefined();
    expect(redisReplyCode('NOPERM')).toBeUndefined();
  });

  it('explains NOPERM, WRONGPASS and NOAUTH replies by class, naming the server', () => {
    const noperm = explainRedisFailure(
      reply("NOPERM no permissions to run the 'eval' command"),
      'h:1',
    );
    expect(noperm).toBeInstanceOf(CachePermissionError);
    expect(noperm).toMatchObject({ code: 'E_CACHE_NO_PERMISSION', address: 'h:1' });
    expect(noperm?.message).toMatch(/'eval' command.*"Security" section/);
    expect(explainRedisFailure(reply('WRONGPASS x'), 'h:1')).toBeInstanceOf(CacheAuthError);
    expect(explainRedisFailure(reply('NOAUTH x'), 'h:1')).toBeInstanceOf(CacheAuthError);
  });

  it('explains failed TLS handshakes by their Node error code, keeping the cause', () => {
    const cause = nodeError('CERT_HAS_EXPIRED');
    const expired = explainRedisFailure(cause, 'h:1');
    expect(expired).toBeInstanceOf(CacheTlsError);
    expect(expired).toBeInstanceOf(CacheError);
    expect(expired?.cause).toBe(cause);
    expect(expired?.message).toMatch(/\(CERT_HAS_EXPIRED\).*Renew it/);
    const other = explainRedisFailure(nodeError('ERR_SSL_SOMETHING_NEW'), 'h:1');
    expect(other?.message).toMatch(/\(ERR_SSL_SOMETHING_NEW\).*check redis\.tls/);
  });

  it("names a sentinel's TLS option (sentinelTLS) in the advice for a sentinel's handshake", () => {
    const untrusted = explainRedisFailure(
      nodeError('SELF_SIGNED_CERT_IN_CHAIN'),
      'h:1',
      REDIS_SENTINEL,
    );
    expect(untrusted).toBeInstanceOf(CacheTlsError);
    expect(untrusted?.message).toMatch(/Redis sentinel h:1 .*redis\.sentinel\.sentinelTLS\.ca/);
    const refused = explainRedisFailure(
      nodeError('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'),
      'h:1',
      REDIS_SENTINEL,
    );
    expect(refused?.message).toMatch(/sentinelTLS\.cert and redis\.sentinel\.sentinelTLS\.key/);
    expect(refused?.message).not.toMatch(/redis\.tls\b/);
  });

  it('leaves every other failure alone', () => {
    expect(explainRedisFailure(nodeError('ECONNREFUSED'), 'h:1')).toBeUndefined();
    expect(explainRedisFailure(reply('ERR unknown command'), 'h:1')).toBeUndefined();
    expect(explainRedisFailure(new Error('CERT_HAS_EXPIRED'), 'h:1')).toBeUndefined();
  });
});
