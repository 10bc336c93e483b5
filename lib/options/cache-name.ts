import { DEFAULT_CACHE_NAME } from '../cache.constants.js';
import { CacheOptionsError } from '../errors.js';

/** The name a `CacheModule` registers its cache under: `name`, or the default cache's. */
export function checkCacheName(name: unknown): string {
  if (name === undefined) return DEFAULT_CACHE_NAME;
  if (typeof name === 'string' && name.length > 0) return name;
  throw new CacheOptionsError(
    'name',
    name,
    "Use a non-empty string such as 'sessions', or leave it out for the default cache.",
  );
}
