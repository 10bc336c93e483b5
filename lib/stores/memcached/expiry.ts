/** memcached reads an expiry above 30 days as an absolute Unix time, not a number of seconds. */
export const MAX_RELATIVE_EXPIRY_SECONDS = 2_592_000;
const MAX_UNIX_TIME = 0xffff_ffff;

/**
 * The expiry field memcached expects for a TTL in milliseconds: whole seconds rounded up, so a
 * sub-second TTL never becomes `0` (which means "never expires"); an absolute Unix time beyond
 * 30 days; `0` without a TTL.
 */
export function toMemcachedExpiry(ttlMs: number | undefined, now = Date.now()): number {
  if (ttlMs === undefined || !(ttlMs > 0) || !Number.isFinite(ttlMs)) return 0;
  const seconds = Math.ceil(ttlMs / 1000);
  if (seconds <= MAX_RELATIVE_EXPIRY_SECONDS) return seconds;
  return Math.min(Math.ceil(now / 1000) + seconds, MAX_UNIX_TIME);
}
