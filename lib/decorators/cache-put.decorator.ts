import { CACHE_PUT_METADATA } from '../cache.constants.js';
import type { CachePutOptions } from '../interfaces/cache-decorator-options.interface.js';
import { recordMetadata, type ArgsDecorator } from './record-metadata.js';

/**
 * Always runs the method and stores its result under `key`, refreshing what `@Cacheable`
 * readers of the same key get.
 *
 * ```ts
 * class Example {
 *   @CachePut({ key: (id: number) => `user:${id}` })
 *   save(id: number, dto: UpdateUserDto) { return this.repo.save(id, dto); }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function CachePut<A extends unknown[] = any[], R = any>(
  options: CachePutOptions<A, R> = {},
): ArgsDecorator<A, R> {
  return recordMetadata(CACHE_PUT_METADATA, options);
}
