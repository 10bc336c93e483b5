import { LRUCache } from 'lru-cache';
import type { Type } from '@nestjs/common';
import { copierFor } from './clone-value.js';
import { deepFreeze, isFreezable } from './deep-freeze.js';
import type { DecodedEntry, EntryCodec, TagVersions } from './entry-codec.js';
import { restoreType, type ValueType } from './value-type.js';

interface Remembered {
  value: unknown;
  tags?: TagVersions;
  copy(value: unknown): unknown;
  /** Known once a read without copies asked: `false` when the value cannot be frozen. */
  freezable?: boolean;
  /** The frozen instances handed out to reads with `type`, by class (`User`, then `[User]`). */
  instances?: Map<Type<unknown>, unknown>;
  arrays?: Map<Type<unknown>, unknown>;
}

export interface MemoBounds {
  /** Most entries remembered. */
  maxEntries: number;
  /** Most bytes of stored text remembered (UTF-16 code units × 2), as the memory store counts. */
  maxSize?: number;
}

/**
 * Remembers what recently read stored texts decoded to, for the in-process store: a hit then costs
 * a copy of the decoded value instead of a parse. Keyed by the text itself, so an entry rewritten
 * with other content is never answered from here. Every read gets its own copy, except a read with
 * `clone: false`, which gets one deep-frozen value, the same on every hit. Bounded like the store:
 * by entries, and by the size of the texts when the store has a `maxSize`; least recently used out
 * first.
 */
export class DecodedMemo {
  private readonly entries: LRUCache<string, Remembered>;

  constructor(
    private readonly codec: EntryCodec,
    { maxEntries, maxSize }: MemoBounds,
  ) {
    this.entries = new LRUCache<string, Remembered>({
      max: maxEntries,
      ...(maxSize ? { maxSize, sizeCalculation: (_entry, stored) => stored.length * 2 } : {}),
    });
  }

  /**
   * Like `codec.decode(stored)`, then as the read asks: instances of `type`, and a copy of its own
   * unless `clone` is false. Throws for a corrupt entry, or one that does not hold a `type`.
   */
  decode(stored: string, type?: ValueType, clone = true): DecodedEntry {
    let entry = this.entries.get(stored);
    if (entry === undefined) {
      const { value, tags } = this.codec.decode(stored);
      entry = { value, tags, copy: copierFor(this.codec.isPlain(stored)) };
      this.entries.set(stored, entry);
    }
    if (clone || !(entry.freezable ??= isFreezable(entry.value))) {
      const value = entry.copy(entry.value);
      return { value: type === undefined ? value : restoreType(value, type), tags: entry.tags };
    }
    return { value: this.frozen(entry, type), tags: entry.tags };
  }

  /** Forgets every entry. */
  clear(): void {
    this.entries.clear();
  }

  /** Entries remembered now. */
  get size(): number {
    return this.entries.size;
  }

  private frozen(entry: Remembered, type: ValueType | undefined): unknown {
    if (type === undefined) return deepFreeze(entry.value);
    const byClass = Array.isArray(type)
      ? (entry.arrays ??= new Map())
      : (entry.instances ??= new Map());
    const key = Array.isArray(type) ? type[0] : type;
    let instance = byClass.get(key);
    if (instance === undefined) {
      instance = deepFreeze(restoreType(entry.copy(entry.value), type));
      byClass.set(key, instance);
    }
    return instance;
  }
}
