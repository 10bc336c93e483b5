import { Lru } from '../utils/lru.js';
import { CACHE_DEFAULTS } from '../options/cache-defaults.js';
import type { MemorySettings } from '../options/resolved-options.js';
import type { CacheStore, StoreEntry } from './cache-store.interface.js';

/**
 * In-process store on `lru-cache`, bounded by entry count and optionally by size. It holds the
 * serialized text, so a caller mutating a value it read never changes the cached entry.
 * Answers synchronously: a sync method decorated with `@Cacheable` stays sync on this store.
 */
export class MemoryStore implements CacheStore {
  readonly name = 'memory';
  readonly synchronous = true;
  /** Most entries held. */
  readonly maxEntries: number;
  private readonly lru: Lru<string, string>;

  /**
   * Trusts `options` (`CacheModule` checks its own at startup); left out: the module's defaults.
   * @param clock What TTLs are measured by, in milliseconds (`performance` when left out): a test
   *   moves its own clock instead of sleeping.
   */
  constructor(options: Partial<MemorySettings> = {}, clock?: { now(): number }) {
    const { maxEntries = CACHE_DEFAULTS.memory.maxEntries, maxSize } = options;
    this.maxEntries = maxEntries;
    this.lru = new Lru<string, string>({
      max: maxEntries,
      // lru-cache reuses one reading of the clock for a millisecond; a test's clock is read each time.
      ...(clock ? { perf: clock, ttlResolution: 0 } : {}),
      ...(maxSize
        ? { maxSize, sizeCalculation: (value, key) => (value.length + key.length) * 2 }
        : {}),
    });
  }

  get(key: string): string | undefined {
    return this.lru.get(key);
  }

  getMany(keys: readonly string[]): (string | undefined)[] {
    return keys.map((key) => this.lru.get(key));
  }

  set(key: string, value: string, ttlMs?: number): void {
    this.lru.set(key, value, ttlMs ? { ttl: ttlMs } : undefined);
  }

  setMany(entries: readonly StoreEntry[]): void {
    for (const { key, value, ttlMs } of entries) this.set(key, value, ttlMs);
  }

  /** `true` when the key held an entry that had not expired (as Redis and memcached answer). */
  delete(key: string): boolean {
    const existed = this.lru.has(key);
    this.lru.delete(key);
    return existed;
  }

  deleteMany(keys: readonly string[]): number {
    let deleted = 0;
    for (const key of keys) if (this.delete(key)) deleted++;
    return deleted;
  }

  clear(): void {
    this.lru.clear();
  }

  /** Entries held now (expired ones may still be counted until touched). */
  get size(): number {
    return this.lru.size;
  }

  async close(): Promise<void> {
    this.lru.clear();
  }
}
