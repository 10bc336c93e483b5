import { createHash } from 'node:crypto';
import { stringify } from 'safe-stable-stringify';
import { CacheError } from '../errors.js';
import type { FromArgs } from '../interfaces/cache-decorator-options.interface.js';

/** `ClassName.method:` + a stable hash of the arguments (object key order does not matter). */
export function defaultKey(
  className: string,
  methodName: string,
  args: readonly unknown[],
): string {
  const canonical = stringify(args) ?? '[]';
  const hash = createHash('sha1').update(canonical).digest('base64url').slice(0, 22);
  return `${className}.${methodName}:${hash}`;
}

/** A decorator option's value for this call: the constant, or the function applied to the args. */
export function resolve<T, A extends unknown[]>(option: FromArgs<T, A>, args: A): T {
  return typeof option === 'function' ? (option as (...args: A) => T)(...args) : option;
}

export function resolveKey(
  option: FromArgs<string, unknown[]>,
  args: unknown[],
  where: string,
): string {
  const key = resolve(option, args);
  if (typeof key === 'number' && Number.isFinite(key)) return String(key);
  if (typeof key !== 'string' || key.length === 0) {
    throw new CacheError(
      'E_CACHE_INVALID_KEY',
      `The key of ${where} must be a non-empty string, got ${String(key)}`,
    );
  }
  return key;
}

export function resolveList(
  option: FromArgs<readonly string[], unknown[]> | undefined,
  args: unknown[],
  what: string,
  where: string,
): readonly string[] {
  if (option === undefined) return [];
  const list = resolve(option, args);
  if (!Array.isArray(list) || list.some((item) => typeof item !== 'string' || item.length === 0)) {
    throw new CacheError(
      'E_CACHE_INVALID_KEY',
      `The ${what} of ${where} must be an array of non-empty strings`,
    );
  }
  return list;
}
