import type { Type } from '@nestjs/common';
import { CacheError, CacheOptionsError } from '../errors.js';
import type { ValueType } from '../interfaces/cache-client.interface.js';
import { setOwn } from './own-property.js';
import { className } from './value-path.js';

export type { ValueType };

/** Checks a `type` option where it is given; the error names the option and the fix. */
export function checkValueType(type: unknown, option: string): ValueType | undefined {
  if (type === undefined) return undefined;
  const single = Array.isArray(type) && type.length === 1 ? (type[0] as unknown) : type;
  if (typeof single === 'function' && typeof single.prototype === 'object') {
    return type as ValueType;
  }
  throw new CacheOptionsError(
    option,
    type,
    'Use a class (`type: User`) or a one-class array (`type: [User]`).',
  );
}

/**
 * What is stored for a value of `type`: an instance of exactly that class becomes an object of its
 * own enumerable properties (`null` stays `null`; for `[User]`, each element). Anything else is
 * refused: restoring it as that class would hand back something other than what was cached.
 */
export function toStoredData(value: unknown, type: ValueType): unknown {
  if (!Array.isArray(type)) return instanceData(value, type, '(root)');
  if (!Array.isArray(value)) throw notOfType(value, '(root)', `an array of ${type[0].name}`);
  const data = new Array<unknown>(value.length);
  for (let i = 0; i < value.length; i++) data[i] = instanceData(value[i], type[0], `[${i}]`);
  return data;
}

/**
 * Turns decoded data back into instances of `type`, in place (the data must be the caller's own
 * copy): the prototype is set, no constructor runs. Throws for data of another shape (an entry
 * written under the same key without this `type`).
 */
export function restoreType(data: unknown, type: ValueType): unknown {
  if (!Array.isArray(type)) return asInstance(data, type);
  if (!Array.isArray(data)) throw wrongShape(type);
  for (let i = 0; i < data.length; i++) data[i] = asInstance(data[i], type[0]);
  return data;
}

/** `User` or `[User]`, for messages. */
export function describeType(type: ValueType): string {
  return Array.isArray(type) ? `[${type[0].name}]` : type.name;
}

function instanceData(value: unknown, type: Type<unknown>, where: string): unknown {
  if (value === null) return null;
  if (typeof value === 'object' && Object.getPrototypeOf(value) === type.prototype) {
    const data: Record<string, unknown> = {};
    for (const key of Object.keys(value))
      setOwn(data, key, (value as Record<string, unknown>)[key]);
    return data;
  }
  throw notOfType(value, where, `an instance of ${type.name}`);
}

function asInstance(data: unknown, type: Type<unknown>): unknown {
  if (data === null) return null;
  if (typeof data !== 'object' || Object.getPrototypeOf(data) !== Object.prototype) {
    throw wrongShape(type);
  }
  return Object.setPrototypeOf(data, type.prototype as object);
}

function notOfType(value: unknown, where: string, expected: string): CacheError {
  const found =
    value === undefined
      ? 'undefined'
      : typeof value !== 'object' || value === null
        ? `a ${typeof value}`
        : Array.isArray(value)
          ? 'an array'
          : Object.getPrototypeOf(value) === Object.prototype
            ? 'a plain object'
            : `a ${className(value)}`;
  return new CacheError(
    'E_CACHE_UNSERIALIZABLE',
    `The value at ${where} is ${found}, not ${expected} as its \`type\` says, so it cannot be cached: return ${expected} (or null) there, or change \`type\`.`,
  );
}

function wrongShape(type: ValueType): CacheError {
  return new CacheError(
    'E_CACHE_CORRUPTED_ENTRY',
    `The cached entry does not hold the data of ${describeType(type)}: it was written without this \`type\`.`,
  );
}

/** Whether two `type` options name the same class in the same form (`[User]` literals differ). */
export function sameType(a: ValueType | undefined, b: ValueType | undefined): boolean {
  if (a === b) return true;
  return Array.isArray(a) && Array.isArray(b) && a[0] === b[0];
}
