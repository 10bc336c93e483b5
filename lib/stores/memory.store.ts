import { LRUCache } from 'lru-cache';
import type { MemoryStoreOptions } from '../interfaces/cache-module-options.interface.js';
import type { CacheStore, StoreEntry } from './cache-store.interface.js';

export const MEMORY_STORE_DEFAULTS = { maxEntries: 10_000 } as const;

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
  private readonly lru: LRUCache<string, string>;

  constructor(options: MemoryStoreOptions = {}) {
    const { maxEntries = MEMORY_STORE_DEFAULTS.maxEntries, maxSize } = options;
    this.maxEntries = maxEntries;
    this.lru = new LRUCache<string, string>({
      max: maxEntries,
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

  delete(key: string): boolean {
    return this.lru.delete(key);
  }

  deleteMany(keys: readonly string[]): number {
    let deleted = 0;
    for (const key of keys) if (this.lru.delete(key)) deleted++;
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
