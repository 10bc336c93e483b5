/**
 * True when `Object.freeze` on every part makes the value immutable: plain objects, arrays and
 * class instances made of their own properties. A Date, Map, Set, RegExp, Buffer, typed array,
 * ArrayBuffer or DataView keeps mutable state out of reach of `Object.freeze`.
 */
export function isFreezable(value: unknown, seen = new Set<object>()): boolean {
  if (typeof value !== 'object' || value === null || seen.has(value)) return true;
  if (hasInternalState(value)) return false;
  seen.add(value);
  for (const key of Object.keys(value)) {
    if (!isFreezable((value as Record<string, unknown>)[key], seen)) return false;
  }
  return true;
}

/** Freezes the value and everything reachable through its own properties; returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return value;
}

function hasInternalState(value: object): boolean {
  return (
    value instanceof Date ||
    value instanceof Map ||
    value instanceof Set ||
    value instanceof RegExp ||
    value instanceof WeakMap ||
    value instanceof WeakSet ||
    value instanceof ArrayBuffer ||
    ArrayBuffer.isView(value)
  );
}
