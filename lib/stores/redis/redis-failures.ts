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

/** Who a TLS handshake was with, and the option that holds the TLS settings for it. */
export interface TlsPeer {
  /** As the log names it: `Redis server`, `Redis sentinel`. */
  kind: string;
  /** The option path users set: `redis.tls`, `redis.sentinel.sentinelTLS`. */
  option: string;
}

/** A data node (standalone, Cluster node, Sentinel master), reached with `redis.tls`. */
export const REDIS_SERVER: TlsPeer = { kind: 'Redis server', option: 'redis.tls' };
/** A sentinel, reached with ioredis's `sentinelTLS` (not `redis.tls`). */
export const REDIS_SENTINEL: TlsPeer = {
  kind: 'Redis sentinel',
  option: 'redis.sentinel.sentinelTLS',
};

const untrusted = (tls: string) =>
  `the server's certificate is not signed by a CA this client trusts. Give the CA that signed it as ${tls}.ca (PEM).`;
const clientCertRefused = (tls: string) =>
  `the server wants a client certificate it trusts (mutual TLS, tls-auth-clients). Give ${tls}.cert and ${tls}.key, signed by a CA of the server's tls-ca-cert-file.`;

/** What to change, by Node's TLS error code (`error.code` of a failed handshake), for `tls`. */
const TLS_ADVICE: Record<string, (tls: string) => string> = {
  CERT_HAS_EXPIRED: () =>
    "the server's certificate has expired. Renew it on the server (tls-cert-file), or check this machine's clock.",
  CERT_NOT_YET_VALID: () =>
    "the server's certificate is not valid yet. Check this machine's clock and the server's.",
  SELF_SIGNED_CERT_IN_CHAIN: untrusted,
  DEPTH_ZERO_SELF_SIGNED_CERT: untrusted,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: untrusted,
  UNABLE_TO_GET_ISSUER_CERT: untrusted,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: untrusted,
  CERT_UNTRUSTED: untrusted,
  ERR_TLS_CERT_ALTNAME_INVALID: (tls) =>
    `the server's certificate does not name the host connected to. Connect by a name the certificate lists, or set ${tls}.servername to one of them.`,
  ERR_SSL_WRONG_VERSION_NUMBER: (tls) =>
    `the server does not speak TLS on this port. Use the port of its tls-port, or ${tls === REDIS_SERVER.option ? 'redis:// without tls' : `no ${tls}`} for a plain port.`,
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: clientCertRefused,
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: clientCertRefused,
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: clientCertRefused,
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: clientCertRefused,
};

/**
 * The failure as a `CacheServerRefusedError` that says what to change, when it is one that only a
 * change of configuration fixes: a failed TLS handshake, refused credentials, a missing ACL
 * permission. `undefined` for anything else. `peer`: who a TLS handshake was with.
 */
export function explainRedisFailure(
  error: unknown,
  address: string,
  peer: TlsPeer = REDIS_SERVER,
): Error | undefined {
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
  const advice = tlsCode ? TLS_ADVICE[tlsCode]?.(peer.option) : undefined;
  if (tlsCode && (advice || tlsCode.startsWith('ERR_SSL_'))) {
    return new CacheTlsError(
      'redis',
      address,
      `The TLS handshake with the ${peer.kind} ${address} failed (${tlsCode}): ${advice ?? `check ${peer.option} against the server's TLS settings.`}`,
      error,
    );
  }
  return undefined;
}

/** A sentinel that speaks TLS on the port ioredis reached in plain TCP (no `sentinelTLS`). */
export function sentinelWithoutTls(address: string): Error {
  return new CacheTlsError(
    'redis',
    address,
    `The Redis sentinel ${address} speaks TLS, but the client reaches the sentinels in plain TCP: redis.tls applies to the master and replicas only. Set redis.sentinel.sentinelTLS (its CA as { ca }), or use the sentinels' plain port.`,
    undefined,
  );
}
