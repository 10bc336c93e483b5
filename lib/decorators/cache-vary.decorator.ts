import { SetMetadata, type CustomDecorator } from '@nestjs/common';
import { CACHE_VARY_METADATA } from '../cache.constants.js';
import type { CacheVaryPart } from '../interfaces/http-cache.interface.js';

/**
 * Keeps one cached response per value of each part, for `CacheInterceptor`: a request header by
 * name, or a function of the `ExecutionContext` (the user, a tenant). On a handler, or on a
 * controller for all its handlers; a handler's own `@CacheVary` replaces the controller's.
 *
 * ```ts
 * @CacheVary('accept-language', (context) => context.switchToHttp().getRequest().user?.id)
 * ```
 */
export function CacheVary(...parts: CacheVaryPart[]): CustomDecorator<string> {
  return SetMetadata(CACHE_VARY_METADATA, parts);
}
