/** The L1 tier's bounds, as resolved from `l1: { maxEntries?, maxSize?, ttl? }` (TTL in ms). */
export interface LocalTierSettings {
  /**
   * Most entries held. Ten thousand covers the hot set of a typical service (the keys read many
   * times a second) while a full tier of 1 KB entries stays near 20 MB.
   * @default 10_000
   */
  maxEntries?: number;
  /**
   * Most bytes held, counted on each entry's stored text (UTF-16 code units × 2), as the memory
   * store and the decoded memo count them; the decoded objects take about as much again. Binds
   * before `maxEntries` once entries average over 6.5 KB, so a few large values cannot grow the
   * process without limit.
   * @default 67_108_864 (64 MiB)
   */
  maxSize?: number;
  /**
   * Longest an entry (or a tag version) lives in L1, in milliseconds; an entry's L1 lifetime is
   * the shorter of this and its own remaining TTL. It is the staleness bound when an invalidation
   * is lost without the bus noticing, and the only one on a Memcached cache without a bus. Ten
   * seconds costs little: a key read 10 times a second by one server is still answered from L1
   * 99 % of the time (one shared-store read per 100 hits), and `Infinity` removes the cap.
   * @default 10_000
   */
  ttlMs?: number;
  /**
   * Whether L1 answers from the start. `false` when a bus keeps it consistent: the owner calls
   * `trust()` on the bus's first `up`. Without a bus, `true`: only `ttlMs` bounds staleness.
   * @default true
   */
  trusted?: boolean;
  /** The clock of expiries (lru-cache's `perf`): tests pass one they move by hand. */
  perf?: { now(): number };
}

export const LOCAL_TIER_DEFAULTS = {
  maxEntries: 10_000,
  maxSize: 64 * 1024 * 1024,
  ttlMs: 10_000,
  trusted: true,
} as const;
