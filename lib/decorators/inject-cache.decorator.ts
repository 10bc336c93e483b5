import { Inject } from '@nestjs/common';
import { getCacheToken } from '../cache.constants.js';

/**
 * Injects a named cache's `CacheClient`: `constructor(@InjectCache('sessions') cache: CacheClient)`.
 * Without a name, the default cache (the same as injecting `CacheClient` by type).
 */
export function InjectCache(name?: string): PropertyDecorator & ParameterDecorator {
  return Inject(getCacheToken(name));
}
