export type CacheErrorCode =
  | 'E_CACHE_INVALID_OPTION'
  | 'E_CACHE_INVALID_TTL'
  | 'E_CACHE_UNSERIALIZABLE'
  | 'E_CACHE_VALUE_TOO_LARGE'
  | 'E_CACHE_CORRUPTED_ENTRY'
  | 'E_CACHE_TIMEOUT'
  | 'E_CACHE_LOADER_TIMEOUT'
  | 'E_CACHE_INVALID_KEY'
  | 'E_CACHE_AUTH'
  | 'E_CACHE_NO_PERMISSION'
  | 'E_CACHE_TLS';

/** Every error this package raises or logs; `code` is stable, `cause` holds the underlying error. */
export class CacheError extends Error {
  constructor(
    readonly code: CacheErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Raised at startup: the message names the option, the bad value and what to change. */
export class CacheOptionsError extends CacheError {
  constructor(
    readonly option: string,
    value: unknown,
    expected: string,
  ) {
    super(
      'E_CACHE_INVALID_OPTION',
      `Invalid cache option "${option}": ${describe(value)}. ${expected}`,
    );
  }
}

export class CacheTtlError extends CacheError {
  constructor(where: string, value: unknown) {
    super(
      'E_CACHE_INVALID_TTL',
      `Invalid TTL in ${where}: ${describe(value)}. Use a number of seconds (>= 0) or a duration string such as '500ms', '30s', '5m', '1h', '1d'.`,
    );
  }
}

/**
 * A store command got no answer in time: the server is hung, overloaded or unreachable. Raised by
 * every store, for every client (made by the module or handed in), and never retried.
 */
export class CacheTimeoutError extends CacheError {
  constructor(
    readonly store: string,
    readonly timeoutMs: number,
    message = `The ${store} store did not answer within ${timeoutMs} ms (commandTimeout); raise commandTimeout if the server is only slow.`,
    cause?: unknown,
  ) {
    super('E_CACHE_TIMEOUT', message, cause === undefined ? undefined : { cause });
  }
}

/** No connection to a server could be made in time (a timeout too: `E_CACHE_TIMEOUT`). */
export class CacheConnectTimeoutError extends CacheTimeoutError {
  constructor(store: string, address: string, timeoutMs: number) {
    super(
      store,
      timeoutMs,
      `Could not connect to the ${store} server ${address} within ${timeoutMs} ms (${store}.connectTimeout).`,
    );
  }
}

export class CacheValueTooLargeError extends CacheError {
  /**
   * `refusedByServer`: the server refused it (its own limit is below `maxValueSize`). `option`:
   * the option that set `limit`.
   */
  constructor(
    readonly size: number,
    readonly limit: number,
    refusedByServer = false,
    option = 'maxValueSize',
  ) {
    super(
      'E_CACHE_VALUE_TOO_LARGE',
      refusedByServer
        ? `Value of ${size} bytes was refused by the memcached server as over its own item-size limit (memcached -I), which is below memcached.maxValueSize (${limit} bytes); it was not stored. Set memcached.maxValueSize to the server's limit.`
        : `Value of ${size} bytes is over the size limit of ${limit} bytes (${option}); it was not stored. Cache a smaller value (a page, the fields callers read), turn on compression, or raise ${option} if the server takes larger items.`,
    );
  }
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * A loader (the decorated method, or `getOrSet`'s function) did not answer within `hardTimeout`
 * and no stale value could stand in. The loader keeps running: if it succeeds, the cache is filled.
 */
export class CacheLoaderTimeoutError extends CacheError {
  constructor(
    readonly key: string,
    readonly timeoutMs: number,
  ) {
    super(
      'E_CACHE_LOADER_TIMEOUT',
      `The loader of "${key}" did not answer within ${timeoutMs} ms (hardTimeout); it goes on in the background and fills the cache if it succeeds. Raise hardTimeout, or give grace so that a stale value can be served instead.`,
    );
  }
}

/**
 * A cache server refused this client in a way only a change of configuration fixes: the message
 * names the server, what went wrong and what to change; `cause` is the driver's error.
 */
export abstract class CacheServerRefusedError extends CacheError {
  constructor(
    code: CacheErrorCode,
    readonly store: string,
    readonly address: string,
    message: string,
    cause: unknown,
  ) {
    super(code, message, { cause });
  }
}

/** The server refused the credentials (Redis `AUTH`, Memcached SASL), or wants some. */
export class CacheAuthError extends CacheServerRefusedError {
  constructor(store: string, address: string, message: string, cause: unknown) {
    super('E_CACHE_AUTH', store, address, message, cause);
  }
}

/** The Redis ACL user may not run a command, or touch a key or channel, the cache needs. */
export class CachePermissionError extends CacheServerRefusedError {
  constructor(store: string, address: string, message: string, cause: unknown) {
    super('E_CACHE_NO_PERMISSION', store, address, message, cause);
  }
}

/** The TLS handshake with the server failed (certificate, CA, name, protocol). */
export class CacheTlsError extends CacheServerRefusedError {
  constructor(store: string, address: string, message: string, cause: unknown) {
    super('E_CACHE_TLS', store, address, message, cause);
  }
}
