import { CACHEABLE_METADATA } from '../cache.constants.js';
import type { CacheableOptions } from '../interfaces/cache-decorator-options.interface.js';
import { recordMetadata, type ArgsDecorator } from './record-metadata.js';

/**
 * Cache-aside on a provider or controller method: a hit returns the cached result without running
 * the method; a miss runs it and stores its result. A rejected or thrown call is never cached.
 *
 * ```ts
 * class Example {
 *   @Cacheable({ key: (id: number) => `user:${id}`, ttl: '5m', tags: (id: number) => [`user:${id}`] })
 *   findOne(id: number) { return this.repo.findOne(id); }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function Cacheable<A extends unknown[] = any[], R = any>(
  options: CacheableOptions<A, R> = {},
): ArgsDecorator<A, R> {
  return recordMetadata(CACHEABLE_METADATA, options);
}
