import { BINARY_TYPES, binaryTypeOf } from './binary-types.js';
import { setOwn } from './own-property.js';

/**
 * A deep copy of a decoded value, extended types included (Date, Map, Set, RegExp, Buffer, typed
 * arrays, ArrayBuffer, DataView): what decoding its text again gives, without parsing. Decoded
 * values are trees, so no part is met twice. Plain JSON data takes `cloneJson`, which is faster.
 */
export function cloneValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const prototype = Object.getPrototypeOf(value) as object | null;
  if (prototype === Array.prototype) return (value as unknown[]).map(cloneValue);
  if (prototype === Date.prototype) return new Date((value as Date).getTime());
  if (prototype === Map.prototype) return cloneMap(value as Map<unknown, unknown>);
  if (prototype === Set.prototype) return new Set([...(value as Set<unknown>)].map(cloneValue));
  if (prototype === RegExp.prototype) return new RegExp(value as RegExp);
  const binary = binaryTypeOf(prototype);
  if (binary !== undefined) {
    const type = BINARY_TYPES.get(binary)!;
    return type.fromBytes(type.bytesOf(value as ArrayBuffer));
  }
  return cloneRecord(value, prototype);
}

function cloneMap(source: Map<unknown, unknown>): Map<unknown, unknown> {
  const copy = new Map<unknown, unknown>();
  for (const [key, item] of source) copy.set(cloneValue(key), cloneValue(item));
  return copy;
}

function cloneRecord(source: object, prototype: object | null): object {
  const copy = prototype === Object.prototype ? {} : (Object.create(prototype) as object);
  for (const key of Object.keys(source)) {
    setOwn(copy, key, cloneValue((source as Record<string, unknown>)[key]));
  }
  return copy;
}
