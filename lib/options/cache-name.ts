import { DEFAULT_CACHE_NAME } from '../cache.constants.js';
import { checkName } from './validate-options.js';

/** The name a `CacheModule` registers its cache under: `name`, or the default cache's. */
export function checkCacheName(name: unknown): string {
  return name === undefined ? DEFAULT_CACHE_NAME : checkName(name);
}
