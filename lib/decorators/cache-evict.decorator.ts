import { CACHE_EVICT_METADATA } from '../cache.constants.js';
import type { CacheEvictOptions } from '../interfaces/cache-decorator-options.interface.js';
import { recordMetadata, type ArgsDecorator } from './record-metadata.js';

/**
 * Invalidation: after the method succeeds (or before it runs, with `beforeInvocation`), deletes
 * the given keys and invalidates the given tags on the shared cache. A method that throws evicts
 * nothing unless `beforeInvocation` is set. May be stacked to evict in several ways.
 *
 * ```ts
 * class Example {
 *   @CacheEvict({ key: (id: number) => `user:${id}`, tags: ['users'] })
 *   update(id: number, dto: UpdateUserDto) { return this.repo.update(id, dto); }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function CacheEvict<A extends unknown[] = any[]>(
  options: CacheEvictOptions<A>,
): ArgsDecorator<A> {
  return recordMetadata(CACHE_EVICT_METADATA, options, { append: true });
}
