import { SetMetadata, type CustomDecorator } from '@nestjs/common';
import { CACHE_TTL_METADATA } from '../cache.constants.js';
import type { Ttl } from '../interfaces/cache-module-options.interface.js';
import type { CacheTtlFactory } from '../interfaces/http-cache.interface.js';

/**
 * How long `CacheInterceptor` keeps the responses of a handler (or of every handler of a
 * controller): a number of **seconds** or a duration string (`'30s'`, `'5m'`), as everywhere in
 * this package, or a function of the `ExecutionContext` answering one.
 * `@nestjs/cache-manager`'s `@CacheTTL(5000)` meant 5000 ms: write `@CacheTTL('5s')` here.
 */
export function CacheTTL(ttl: Ttl | CacheTtlFactory): CustomDecorator<string> {
  return SetMetadata(CACHE_TTL_METADATA, ttl);
}
