import type { CacheSerializer } from '../interfaces/cache-module-options.interface.js';
import { parseJson } from './parse-json.js';

function rejectLossy(this: unknown, key: string, value: unknown): unknown {
  const type = typeof value;
  if (type === 'function' || type === 'symbol') {
    throw new TypeError(`a ${type} at "${key || '(root)'}" has no JSON form`);
  }
  return value;
}

/**
 * JSON for plain data. Unlike bare `JSON.stringify`, it refuses a value it would silently change:
 * a function or symbol anywhere, `undefined` at the root, as well as circular structures and
 * BigInt (which JSON itself refuses). Reading drops object keys `__proto__` (see `parseJson`).
 */
export const jsonSerializer: CacheSerializer = {
  serialize(value) {
    const text = JSON.stringify(value, rejectLossy);
    if (text === undefined) throw new TypeError('undefined has no JSON form');
    return text;
  },
  deserialize: parseJson,
};
