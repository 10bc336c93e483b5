/** Deeper than this, a value takes the extended encoder, which tells a cycle from a deep tree. */
const MAX_DEPTH = 500;

/**
 * True when `JSON.parse(JSON.stringify(value))` gives back an equal value of the same types:
 * strings, finite numbers other than `-0`, booleans, `null`, arrays without holes or `undefined`,
 * and objects whose prototype is `Object.prototype` or `null`, all the way down. Checking first and
 * then calling `JSON.stringify` without a replacer is faster than a replacer on every value.
 */
export function isPlainJson(value: unknown, depth = 0): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return value - value === 0 && (value !== 0 || 1 / value > 0);
    case 'object':
      if (value === null) return true;
      if (depth > MAX_DEPTH) return false;
      return Array.isArray(value) ? isPlainArray(value, depth) : isPlainObject(value, depth);
    default:
      return false;
  }
}

function isPlainArray(array: unknown[], depth: number): boolean {
  if (Object.getPrototypeOf(array) !== Array.prototype) return false;
  for (let i = 0; i < array.length; i++) {
    if (!isPlainJson(array[i], depth + 1)) return false;
  }
  return true;
}

function isPlainObject(object: object, depth: number): boolean {
  const prototype: unknown = Object.getPrototypeOf(object);
  if (prototype !== Object.prototype && prototype !== null) return false;
  for (const key in object) {
    if (!isPlainJson((object as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}
