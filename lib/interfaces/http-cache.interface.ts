import type { ExecutionContext } from '@nestjs/common';
import type { Ttl } from './cache-module-options.interface.js';

/** `@CacheKey(factory)`: the key of a request, or `undefined`/`null`/`''` to leave it uncached. */
export type CacheKeyFactory = (
  context: ExecutionContext,
) => string | undefined | null | Promise<string | undefined | null>;

/** `@CacheTTL(factory)`: the TTL of a response, in this package's units (seconds or a duration). */
export type CacheTtlFactory = (context: ExecutionContext) => Ttl | Promise<Ttl>;

/**
 * One thing the key of a cached response varies by: a request header, by name
 * (`'accept-language'`), or a value computed from the request (`(context) => user id`).
 */
export type CacheVaryPart = string | ((context: ExecutionContext) => unknown);

/** What `CacheInterceptor.with(options)` sets for every handler it caches. */
export interface CacheInterceptorOptions {
  /**
   * The named cache to keep responses in; a controller's `@CacheConfig({ cache })` wins.
   * @default the default cache (`CacheClient`)
   */
  cache?: string;
  /**
   * TTL of a response when neither `@CacheTTL` nor `@CacheConfig({ ttl })` gives one: seconds,
   * or a duration string.
   * @default the cache's `ttl`
   */
  ttl?: Ttl;
  /** What every key varies by when no `@CacheVary` says otherwise. */
  vary?: readonly CacheVaryPart[];
}
