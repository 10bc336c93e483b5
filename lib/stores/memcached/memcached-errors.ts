import { CacheError, CacheTimeoutError, CacheValueTooLargeError } from '../../errors.js';

/** What memjs 1.3.2 puts in the messages this module recognises. */
const REQUEST_TIMEOUT = 'socket timed out waiting on response';
const CONNECT_TIMEOUT = 'socket timed out connecting to server';
const TOO_LARGE = 'Value too large';

export interface ErrorContext {
  commandTimeout: number;
  connectTimeout: number;
  /** Item size and limit, when the call stored a value. */
  item?: { size: number; limit: number };
}

/**
 * A memjs failure as the cache client above sees it: a request timeout is `E_CACHE_TIMEOUT`, the
 * server's item-size refusal is `E_CACHE_VALUE_TOO_LARGE`; anything else (refused or reset
 * connection, `MemJS <COMMAND>: <status>`) stays as memjs raised it, and a non-`Error` becomes one.
 * The original is kept as `cause`.
 */
export function translateMemjsError(error: unknown, context: ErrorContext): Error {
  const message = error instanceof Error ? error.message : String(error);
  let translated: Error;
  if (message.startsWith(REQUEST_TIMEOUT)) {
    translated = new CacheTimeoutError('memcached', context.commandTimeout);
  } else if (message.startsWith(CONNECT_TIMEOUT)) {
    translated = new CacheError(
      'E_CACHE_TIMEOUT',
      `Could not connect to memcached within ${context.connectTimeout} ms (memcached.connectTimeout).`,
    );
  } else if (message.endsWith(TOO_LARGE) && context.item) {
    const { size, limit } = context.item;
    translated = new CacheValueTooLargeError(size, limit);
    translated.message = `Value of ${size} bytes was refused by the memcached server as over its own item-size limit (memcached -I), which is below memcached.maxValueSize (${limit} bytes); it was not stored. Set memcached.maxValueSize to the server's limit.`;
  } else {
    return error instanceof Error ? error : new Error(message);
  }
  translated.cause = error;
  return translated;
}
