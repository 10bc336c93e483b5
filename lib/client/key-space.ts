/**
 * One key space on the server for the user's entries and the package's own keys, kept apart:
 * every key the package writes for itself starts with two underscores and a letter (`__tag__:`,
 * `__lock__:`), and a user key that starts with two underscores gets one more in front (`__x` is
 * stored as `___x`), so no user key ever lands on one. Injective: a key is either unchanged (it
 * does not start with `__`) or gets one `_` (it starts with `___` then), and each form tells back
 * the key it came from. Only the key sent to the store changes: L1 and the bus carry the key as
 * the user wrote it.
 */
const UNDERSCORE = 0x5f;
const TAG_KEY_PREFIX = '__tag__:';
const LOCK_KEY_PREFIX = '__lock__:';

/** The key a user's entry is stored under. */
export function storeKey(key: string): string {
  // Char codes rather than `startsWith`: this runs on every hit, and costs less this way.
  return key.charCodeAt(0) === UNDERSCORE && key.charCodeAt(1) === UNDERSCORE ? `_${key}` : key;
}

export function storeKeys(keys: readonly string[]): string[] {
  return keys.map(storeKey);
}

/** Where the current version of `tag` is kept. */
export function tagKey(tag: string): string {
  return TAG_KEY_PREFIX + tag;
}

/** Where the lock of `lock: 'distributed'` on `key` is taken. */
export function lockKey(key: string): string {
  return LOCK_KEY_PREFIX + key;
}
