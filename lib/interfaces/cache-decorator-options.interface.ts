import type { ValueType } from './cache-client.interface.js';
import type { LoaderResilienceOptions, Ttl } from './cache-module-options.interface.js';

/** A fixed value, or one computed from the decorated method's arguments. */
export type FromArgs<T, A extends unknown[]> = T | ((...args: A) => T);

/**
 * `grace`, `graceRetry`, `softTimeout`, `hardTimeout`, `refreshAhead` and `lock` (see
 * `LoaderResilienceOptions`) default to the module's.
 */
export interface CacheableOptions<
  A extends unknown[] = unknown[],
  R = unknown,
> extends LoaderResilienceOptions {
  /**
   * The named cache to use (`CacheModule.forRoot({ name })`).
   * @default the class's `@CacheConfig({ cache })`, else the default cache
   */
  cache?: string;
  /** The cache key. Default: `ClassName.method:` + a stable hash of the arguments. */
  key?: FromArgs<string, A>;
  /** Seconds or a duration string. Default: the module's `ttl`. */
  ttl?: FromArgs<Ttl, A>;
  /** Tags recorded with the entry; `invalidateTags` / `@CacheEvict({ tags })` drop it. */
  tags?: FromArgs<readonly string[], A>;
  /** `false` = bypass the cache for this call (the method runs, nothing is read or stored). */
  condition?(...args: A): boolean;
  /** `true` = do not store this result (it is still returned). */
  unless?(result: R, ...args: A): boolean;
  /**
   * The class the method returns (`[User]` for an array of them). A hit then returns instances
   * of it, restored from their own enumerable properties without running the constructor. Without
   * it, a result holding a class instance is not cached (it is returned, and the failure logged).
   * @example @Cacheable({ type: User }) findOne(id: number): Promise<User | null>
   */
  type?: ValueType;
  /**
   * `false`: a hit returns the cached object itself, deep-frozen, the same one on every hit,
   * instead of a fresh copy. A value holding a Date, Map, Set, typed array… is copied still.
   * @default the module's `clone` (true)
   */
  clone?: boolean;
}

export interface CacheEvictOptions<A extends unknown[] = unknown[]> {
  /**
   * The named cache to evict from (`allEntries` clears only that cache).
   * @default the class's `@CacheConfig({ cache })`, else the default cache
   */
  cache?: string;
  /** One key to delete. */
  key?: FromArgs<string, A>;
  /** Several keys to delete. */
  keys?: FromArgs<readonly string[], A>;
  /** Tags to invalidate. */
  tags?: FromArgs<readonly string[], A>;
  /** Drop every entry under this module's `keyPrefix` (the same as `CacheClient.clear()`). */
  allEntries?: boolean;
  /** Evict before the method runs, even if it then throws. Default: after it succeeds. */
  beforeInvocation?: boolean;
}

/**
 * The same options as `@Cacheable`: `key` is where the result is stored (default: the same
 * default key as `@Cacheable`, so a put refreshes what `@Cacheable` readers of those arguments get).
 */
export type CachePutOptions<A extends unknown[] = unknown[], R = unknown> = CacheableOptions<A, R>;

/** Class-level defaults, set with `@CacheConfig`. */
export interface CacheConfigOptions {
  /** The named cache the class's decorators use when they name none. */
  cache?: string;
  /** The TTL of the class's `@Cacheable` / `@CachePut` entries when they give none. */
  ttl?: Ttl;
}
