import calculateSlot from 'cluster-key-slot';
import { CacheOptionsError } from '../../errors.js';
import { isWellFormed } from '../../utils/well-formed.js';
import { HASHED_KEY_MARKER, hashKey } from '../memcached/key-mapper.js';

/** Most keys one MGET / UNLINK carries, so that one call never blocks the server for long. */
export const MAX_KEYS_PER_COMMAND = 1000;

/**
 * Splits key positions into groups that one multi-key command may carry: at most `max` keys, and,
 * on a Cluster, keys of one hash slot only (otherwise the server answers CROSSSLOT). Returns the
 * positions in `keys`, so that replies can be put back in key order.
 */
export function groupKeys(
  keys: readonly string[],
  bySlot: boolean,
  max = MAX_KEYS_PER_COMMAND,
): number[][] {
  const groups: number[][] = [];
  const open = new Map<number, number[]>();
  keys.forEach((key, position) => {
    const slot = bySlot ? calculateSlot(key) : 0;
    let group = open.get(slot);
    if (!group) {
      group = [];
      groups.push(group);
      open.set(slot, group);
    }
    group.push(position);
    if (group.length >= max) open.delete(slot);
  });
  return groups;
}

/**
 * Goes between `keyPrefix` and the key in every physical key. No `keyPrefix` contains it, so the
 * keys of one prefix are exactly those that start with `keyPrefix + '|'`: `app:` never matches the
 * keys of `app:v2:` (`app:v2:|…`), nor `app` those of `app:`.
 */
export const KEY_SEPARATOR = '|';

/** Refuses a `keyPrefix` that contains the separator (at startup, naming the option). */
export function assertRedisKeyPrefix(prefix: string): void {
  if (!prefix.includes(KEY_SEPARATOR)) return;
  throw new CacheOptionsError(
    'keyPrefix',
    prefix,
    `With Redis it may not contain '${KEY_SEPARATOR}', which separates keyPrefix from the key so that clear() removes exactly one prefix; use another character, such as ':'.`,
  );
}

/** What every physical key of `keyPrefix` starts with: `keyPrefix + '|'` (the prefix checked). */
export function keyHead(prefix: string): string {
  assertRedisKeyPrefix(prefix);
  return prefix + KEY_SEPARATOR;
}

/** A SCAN `MATCH` pattern for every key that starts with `head`, glob characters escaped. */
export function prefixPattern(head: string): string {
  return `${head.replace(/[*?[\]\\]/g, '\\$&')}*`;
}

/**
 * The key as sent after the prefix. ioredis sends keys as UTF-8, where every lone UTF-16
 * surrogate becomes U+FFFD, so `'k\uD800'` and `'k\uDC00'` would be one key: a key that is not
 * well-formed UTF-16 is sent as `#` and a SHA-256 of its code units instead, and so is a key that
 * starts with `#`, which keeps the two forms apart (no two keys share a physical key).
 */
export function wireKey(key: string): string {
  if (key[0] !== HASHED_KEY_MARKER && isWellFormed(key)) return key;
  return HASHED_KEY_MARKER + hashKey(key);
}
