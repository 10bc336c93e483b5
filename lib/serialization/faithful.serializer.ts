import type { CacheSerializer } from '../interfaces/cache-module-options.interface.js';
import { EXTENDED_MARK } from './extended-annotation.js';
import { decodeExtended } from './extended-decoder.js';
import { encodeExtended } from './extended-encoder.js';
import { parseJson } from './parse-json.js';
import { isPlainJson } from './plain-json.js';

/**
 * The default serializer: what it reads back has the types of what it wrote. Plain JSON data is
 * written as its JSON text, exactly as `JSON.stringify` writes it (other services can read it);
 * a value holding a Date, Map, Set, BigInt, RegExp, Buffer, typed array, ArrayBuffer, DataView,
 * `undefined`, `NaN`, `±Infinity` or `-0` is written in the extended form, `X{"json":…,"meta":…}`
 * (see `encodeExtended`). It refuses, with a `CacheError` naming the part and where it is, a class
 * instance, a function, a symbol, a cycle, and `undefined` as the whole value. Reading drops object
 * keys `__proto__` (see `parseJson`).
 */
export const faithfulSerializer: CacheSerializer = {
  serialize(value) {
    if (value === undefined) throw new TypeError('undefined is never stored');
    return isPlainJson(value) ? JSON.stringify(value) : encodeExtended(value);
  },
  deserialize: (text) =>
    text[0] === EXTENDED_MARK ? decodeExtended(text.slice(1)) : parseJson(text),
};
