/** memcached reads an expiry above 30 days as an absolute Unix time, not a number of seconds. */
export const MAX_RELATIVE_EXPIRY_SECONDS = 2_592_000;
const MAX_UNIX_TIME = 0xffff_ffff;

/**
 * The expiry field memcached expects for a TTL in milliseconds: whole seconds rounded up, plus one
 * because memcached's clock ticks once a second (an expiry of N lasts between N-1 and N seconds,
 * so 1 could expire a moment after the write); never `0` for a TTL, since `0` means "never
 * expires"; an absolute Unix time beyond 30 days; `0` without a TTL.
 */
export function toMemcachedExpiry(ttlMs: number | undefined, now = Date.now()): number {
  if (ttlMs === undefined || !(ttlMs > 0) || !Number.isFinite(ttlMs)) return 0;
  const seconds = Math.ceil(ttlMs / 1000);
  if (seconds + 1 <= MAX_RELATIVE_EXPIRY_SECONDS) return seconds + 1;
  return Math.min(Math.ceil(now / 1000) + seconds, MAX_UNIX_TIME);
}
