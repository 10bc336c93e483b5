import { CacheAuthError, CacheError, CacheTimeoutError } from '../../errors.js';
import { isMemjsAuthFailure, isMemjsTimeout } from './memjs-internals.js';

/** The server `address` (unknown for memjs's own `Server`) refused the SASL credentials. */
export function saslRefused(address: string | undefined, cause: unknown): CacheAuthError {
  return new CacheAuthError(
    'memcached',
    address ?? 'unknown',
    `${address ? `The memcached server ${address}` : 'A memcached server'} refused the SASL credentials, or requires some. Correct memcached.username and memcached.password (SASL PLAIN), or the user:password of memcached.url.`,
    cause,
  );
}

/**
 * A memjs failure as the cache client above sees it. The package's own errors pass as they are:
 * `MemcachedConnection` times requests and connections out with `CacheTimeoutError`, `setItem`
 * refuses a value over the server's limit with `CacheValueTooLargeError`, refused SASL
 * credentials are a `CacheAuthError`. A timeout of memjs's own
 * `Server` (the servers of a client handed in, or the public-API fallback) becomes a
 * `CacheTimeoutError`; anything else (refused or reset connection, `MemJS <COMMAND>: <status>`)
 * stays as memjs raised it, and a non-`Error` becomes one.
 */
export function translateMemjsError(error: unknown, commandTimeout: number): Error {
  if (error instanceof CacheError) return error;
  if (isMemjsAuthFailure(error)) return saslRefused(undefined, error);
  if (isMemjsTimeout(error)) {
    const reason = (error as Error).message.replace(/\.$/, '');
    const message = `The memcached store did not answer within the memjs client's own timeout (${reason}).`;
    return new CacheTimeoutError('memcached', commandTimeout, message, error);
  }
  return error instanceof Error ? error : new Error(String(error));
}
