import { ReplyError } from 'ioredis';
import { CacheAuthError, CachePermissionError, CacheTlsError } from '../../errors.js';

/**
 * The error code of a Redis error reply (`WRONGPASS`, `NOAUTH`, `NOPERM`, …), or `undefined` for
 * any other error. The protocol sends an error reply as `<CODE> <text>`: its first word is the
 * error code, the part a client may rely on. ioredis hands the reply over as the message of a
 * `ReplyError` and nothing else, so this is the one place the package reads a Redis reply's text.
 */
export function redisReplyCode(error: unknown): string | undefined {
  if (!(error instanceof ReplyError)) return undefined;
  return /^[A-Z][A-Z_]*(?= |$)/.exec((error as Error).message)?.[0];
}

const UNTRUSTED =
  "the server's certificate is not signed by a CA this client trusts. Give the CA that signed it as redis.tls.ca (PEM).";
const CLIENT_CERT_REFUSED =
  "the server wants a client certificate it trusts (mutual TLS, tls-auth-clients). Give redis.tls.cert and redis.tls.key, signed by a CA of the server's tls-ca-cert-file.";

/** What to change, by Node's TLS error code (`error.code` of a failed handshake). */
const TLS_ADVICE: Record<string, string> = {
  CERT_HAS_EXPIRED:
    "the server's certificate has expired. Renew it on the server (tls-cert-file), or check this machine's clock.",
  CERT_NOT_YET_VALID:
    "the server's certificate is not valid yet. Check this machine's clock and the server's.",
  SELF_SIGNED_CERT_IN_CHAIN: UNTRUSTED,
  DEPTH_ZERO_SELF_SIGNED_CERT: UNTRUSTED,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: UNTRUSTED,
  UNABLE_TO_GET_ISSUER_CERT: UNTRUSTED,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: UNTRUSTED,
  CERT_UNTRUSTED: UNTRUSTED,
  ERR_TLS_CERT_ALTNAME_INVALID:
    "the server's certificate does not name the host connected to. Connect by a name the certificate lists, or set redis.tls.servername to one of them.",
  ERR_SSL_WRONG_VERSION_NUMBER:
    'the server does not speak TLS on this port. Use the port of its tls-port, or redis:// without tls for a plain port.',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: CLIENT_CERT_REFUSED,
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: CLIENT_CERT_REFUSED,
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: CLIENT_CERT_REFUSED,
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: CLIENT_CERT_REFUSED,
};

/**
 * The failure as a `CacheServerRefusedError` that says what to change, when it is one that only a
 * change of configuration fixes: a failed TLS handshake, refused credentials, a missing ACL
 * permission. `undefined` for anything else.
 */
export function explainRedisFailure(error: unknown, address: string): Error | undefined {
  const code = redisReplyCode(error);
  const reply = (error as Error | undefined)?.message;
  if (code === 'NOPERM') {
    return new CachePermissionError(
      'redis',
      address,
      `The Redis ACL user of the cache may not do what the cache needs on ${address} (${reply}). Grant the ACL rule of the README's "Security" section to that user (redis.username).`,
      error,
    );
  }
  if (code === 'WRONGPASS') {
    return new CacheAuthError(
      'redis',
      address,
      `The Redis server ${address} refused the username or password (WRONGPASS). Correct redis.password (and redis.username for an ACL user), or the user:password of redis.url.`,
      error,
    );
  }
  if (code === 'NOAUTH') {
    return new CacheAuthError(
      'redis',
      address,
      `The Redis server ${address} requires a password (NOAUTH). Set redis.password (and redis.username for an ACL user), or put them in redis.url.`,
      error,
    );
  }
  const tlsCode = (error as NodeJS.ErrnoException | undefined)?.code;
  const advice = tlsCode ? TLS_ADVICE[tlsCode] : undefined;
  if (tlsCode && (advice || tlsCode.startsWith('ERR_SSL_'))) {
    return new CacheTlsError(
      'redis',
      address,
      `The TLS handshake with the Redis server ${address} failed (${tlsCode}): ${advice ?? "check redis.tls against the server's TLS settings."}`,
      error,
    );
  }
  return undefined;
}
