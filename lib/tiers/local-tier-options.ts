import { CACHE_DEFAULTS } from '../options/cache-defaults.js';
import { toTtlMs } from '../utils/ttl.js';

/**
 * The L1 tier's bounds as resolved from `l1: { maxEntries?, maxSize?, ttl? }` (see
 * `LocalTierOptions` for what each means), the TTL cap in milliseconds (`Infinity`: none).
 */
export interface LocalTierSettings {
  maxEntries?: number;
  maxSize?: number;
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
  maxEntries: CACHE_DEFAULTS.l1.maxEntries,
  maxSize: CACHE_DEFAULTS.l1.maxSize,
  ttlMs: toTtlMs(CACHE_DEFAULTS.l1.ttl, 'l1.ttl')!,
  trusted: true,
} as const;
