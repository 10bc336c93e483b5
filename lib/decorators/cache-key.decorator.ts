import { SetMetadata, type CustomDecorator } from '@nestjs/common';
import { CACHE_KEY_METADATA } from '../cache.constants.js';
import type { CacheKeyFactory } from '../interfaces/http-cache.interface.js';

/**
 * The key `CacheInterceptor` keeps this handler's response under, instead of the request URL: a
 * string, or a function of the `ExecutionContext` (as in `@nestjs/cache-manager`). `@CacheVary`
 * parts are added to it.
 *
 * ```ts
 * @Get() @CacheKey('products:all') findAll() { … }
 * ```
 */
export function CacheKey(key: string | CacheKeyFactory): CustomDecorator<string> {
  return SetMetadata(CACHE_KEY_METADATA, key);
}
