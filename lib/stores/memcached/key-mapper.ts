import { createHash } from 'node:crypto';
import { CacheOptionsError } from '../../errors.js';

/** memcached's longest key, in bytes. */
export const MAX_KEY_BYTES = 250;
/** Longest `keyPrefix`, so that a prefix, a namespace version and a hashed key still fit. */
export const MAX_PREFIX_BYTES = 160;
/** Starts the part of a physical key that is a hash of the logical key. */
export const HASHED_KEY_MARKER = '#';
const NAMESPACE_KEY_SUFFIX = '__ns__';
/** Bytes memcached's text protocol and tools cannot carry in a key, and lone UTF-16 surrogates. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0020\u007f]|\p{Cs}/u;

/** SHA-256 of the key's UTF-16 code units (injective on every JS string), base64url: 43 chars. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf16le').digest('base64url');
}

/**
 * The key stored on the server: `prefix + namespace + ':' + key`, or, when that is over 250
 * bytes, holds a space, a control character or a lone surrogate, or the key itself starts with
 * `#`, `prefix + namespace + ':#' + hashKey(key)`. The marker keeps the two forms apart, so two
 * different keys never share a physical key; the namespace (no `:` in it) ends at the first `:`.
 */
export function physicalKey(prefix: string, namespace: string, key: string): string {
  const head = `${prefix}${namespace}:`;
  // The common case without the regex and the byte count (~200 ns a call): a key of printable
  // ASCII is one byte a character, and a character of the head at most three.
  if (head.length * 3 + key.length <= MAX_KEY_BYTES && isPlainAscii(key)) return head + key;
  const plain = head + key;
  const hashed =
    key.startsWith(HASHED_KEY_MARKER) ||
    UNSAFE.test(key) ||
    Buffer.byteLength(plain) > MAX_KEY_BYTES;
  return hashed ? head + HASHED_KEY_MARKER + hashKey(key) : plain;
}

/** Printable ASCII only (`!` to `~`), not starting with the hashed-key marker. */
function isPlainAscii(key: string): boolean {
  if (key.length === 0 || key[0] === HASHED_KEY_MARKER) return false;
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    if (code < 0x21 || code > 0x7e) return false;
  }
  return true;
}

/** Where the namespace version of `prefix` lives. */
export function namespaceKey(prefix: string): string {
  return prefix + NAMESPACE_KEY_SUFFIX;
}

/** A prefix goes into every physical key as is: it must be short and plain. */
export function assertKeyPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix === 'string' && !UNSAFE.test(prefix)) {
    if (Buffer.byteLength(prefix) <= MAX_PREFIX_BYTES) return;
  }
  throw new CacheOptionsError(
    'keyPrefix',
    prefix,
    `With memcached it must be a string of at most ${MAX_PREFIX_BYTES} bytes (UTF-8) without spaces or control characters.`,
  );
}
