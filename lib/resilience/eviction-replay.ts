import type { StoreEntry } from '../stores/cache-store.interface.js';

/** What a read of a key answers while an eviction of it waits to be replayed. */
export type Overlay = { known: false } | { known: true; value: string | undefined };

const UNKNOWN: Overlay = { known: false };
const GONE: Overlay = { known: true, value: undefined };

export interface ReplayStats {
  /** Evictions waiting: keys, tag versions, and 1 for a `clear()`. */
  pending: number;
  /** Evictions that reached the store late. */
  replayed: number;
  /** Evictions given up when the queue overflowed (each replaced by the pending `clear()`). */
  dropped: number;
}

/** A copy of what waits, taken when a replay starts. */
export interface ReplayBatch {
  clear: boolean;
  keys: string[];
  versions: StoreEntry[];
  /** To tell, once the batch landed, what was queued again meanwhile (and must stay). */
  generation: number;
}

/**
 * The evictions this process could not deliver (a delete, a new tag version, a `clear()` that
 * failed or was refused by an open circuit), kept until they reach the store. Each key and each
 * tag version is held once (the latest wins); a `clear()` covers every one queued before it, so it
 * replaces them. Bounded: past `maxPending` the oldest would have to be dropped, which would let its old
 * value be read again, so the whole queue becomes one pending `clear()` instead (and the drop is
 * counted). Meanwhile `overlay` answers reads as if the evictions had landed.
 */
export class EvictionReplay {
  /** key -> generation it was queued in. */
  private readonly keys = new Map<string, number>();
  /** tag version key -> [version, generation]. */
  private readonly versions = new Map<string, [string, number]>();
  private clearAt = 0;
  private generation = 0;
  private replayed = 0;
  private dropped = 0;

  constructor(
    private readonly maxPending: number,
    private readonly onOverflow?: (dropped: number) => void,
  ) {}

  /** Whether anything waits: the only check a read pays while nothing does. */
  get pending(): boolean {
    return this.clearAt !== 0 || this.keys.size !== 0 || this.versions.size !== 0;
  }

  get clearPending(): boolean {
    return this.clearAt !== 0;
  }

  /** What a read of `key` must answer now, if an eviction decides it. */
  overlay(key: string): Overlay {
    if (this.clearAt !== 0 || this.keys.has(key)) return GONE;
    const version = this.versions.get(key);
    return version ? { known: true, value: version[0] } : UNKNOWN;
  }

  deletes(keys: readonly string[]): void {
    const generation = ++this.generation;
    for (const key of keys) {
      this.keys.delete(key);
      this.keys.set(key, generation);
    }
    this.bound();
  }

  newVersions(entries: readonly StoreEntry[]): void {
    const generation = ++this.generation;
    for (const { key, value } of entries) {
      this.versions.delete(key);
      this.versions.set(key, [value, generation]);
    }
    this.bound();
  }

  clear(): void {
    this.clearAt = ++this.generation;
    this.keys.clear();
    this.versions.clear();
  }

  batch(): ReplayBatch {
    return {
      clear: this.clearAt !== 0,
      keys: [...this.keys.keys()],
      versions: [...this.versions].map(([key, [value]]) => ({ key, value })),
      generation: this.generation,
    };
  }

  /** The `clear()` of `batch` reached the store: it covers everything queued up to then. */
  clearLanded(batch: ReplayBatch): void {
    if (this.clearAt === 0 || this.clearAt > batch.generation) return;
    this.clearAt = 0;
    this.replayed++;
    this.forgetUpTo(this.keys, batch.generation, (generation) => generation);
    this.forgetUpTo(this.versions, batch.generation, ([, generation]) => generation);
  }

  /** These deletes of `batch` reached the store (unless queued again since). */
  deletesLanded(keys: readonly string[], batch: ReplayBatch): void {
    for (const key of keys) {
      const generation = this.keys.get(key);
      if (generation === undefined || generation > batch.generation) continue;
      this.keys.delete(key);
      this.replayed++;
    }
  }

  /** These tag versions of `batch` reached the store (unless changed since). */
  versionsLanded(entries: readonly StoreEntry[], batch: ReplayBatch): void {
    for (const { key } of entries) {
      const held = this.versions.get(key);
      if (held === undefined || held[1] > batch.generation) continue;
      this.versions.delete(key);
      this.replayed++;
    }
  }

  stats(): ReplayStats {
    const pending = this.keys.size + this.versions.size + (this.clearAt !== 0 ? 1 : 0);
    return { pending, replayed: this.replayed, dropped: this.dropped };
  }

  private bound(): void {
    const held = this.keys.size + this.versions.size;
    if (held <= this.maxPending) return;
    this.dropped += held;
    this.clear();
    this.onOverflow?.(held);
  }

  private forgetUpTo<V>(map: Map<string, V>, generation: number, of: (value: V) => number): void {
    for (const [key, value] of map) if (of(value) <= generation) map.delete(key);
  }
}
