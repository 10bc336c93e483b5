import { CACHE_CONFIG_METADATA } from '../cache.constants.js';
import type { CacheConfigOptions } from '../interfaces/cache-decorator-options.interface.js';

/**
 * Defaults for the cache decorators of one class (and its subclasses, unless they declare their
 * own): which cache they use and the TTL of `@Cacheable` / `@CachePut` entries. A decorator's own
 * `cache` / `ttl` wins.
 *
 * ```ts
 * @CacheConfig({ cache: 'sessions', ttl: '30m' })
 * @Injectable()
 * export class SessionsService { … }
 * ```
 */
export function CacheConfig(options: CacheConfigOptions): ClassDecorator {
  return (target) => {
    Reflect.defineMetadata(CACHE_CONFIG_METADATA, options, target);
  };
}
