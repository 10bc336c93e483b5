import { DecodedValue, sizeOfText } from './decoded-value.js';
import type { DecodedEntry, EntryCodec } from './entry-codec.js';
import type { ValueType } from './value-type.js';

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
 * by entries, and by the size of the texts when the store has a `maxSize`; oldest out first.
 *
 * A plain `Map` in insertion order rather than an LRU: keeping recency on every hit cost about 4 %
 * of a memory hit, and an often-read entry pushed out here only costs one parse.
 */
export class DecodedMemo {
  private readonly entries = new Map<string, DecodedValue>();
  /** Bytes of the remembered texts, counted as `maxSize` counts them. */
  private bytes = 0;
  private readonly maxEntries: number;
  private readonly maxSize: number;

  constructor(
    private readonly codec: EntryCodec,
    { maxEntries, maxSize = Infinity }: MemoBounds,
  ) {
    this.maxEntries = maxEntries;
    this.maxSize = maxSize;
  }

  /**
   * Like `codec.decode(stored)`, then as the read asks: instances of `type`, and a copy of its own
   * unless `clone` is false. Throws for a corrupt entry, or one that does not hold a `type`.
   */
  decode(stored: string, type?: ValueType, clone = true): DecodedEntry {
    let entry = this.entries.get(stored);
    if (entry === undefined) {
      entry = new DecodedValue(this.codec, stored);
      this.remember(stored, entry);
    }
    return entry.entry(type, clone);
  }

  /**
   * The value of a remembered entry that needs no check (no tags, no stamp), as the read asks;
   * `undefined` when the text is not remembered or its entry must be checked.
   */
  settled(stored: string, type: ValueType | undefined, clone: boolean): unknown {
    const entry = this.entries.get(stored);
    const needsNoCheck =
      entry !== undefined && entry.tags === undefined && entry.stamp === undefined;
    return needsNoCheck ? entry.read(type, clone) : undefined;
  }

  /** Forgets every entry. */
  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  /** Entries remembered now. */
  get size(): number {
    return this.entries.size;
  }

  private remember(stored: string, entry: DecodedValue): void {
    const size = entry.size;
    if (size > this.maxSize) return;
    this.entries.set(stored, entry);
    this.bytes += size;
    while (this.entries.size > this.maxEntries || this.bytes > this.maxSize) {
      const oldest = this.entries.keys().next().value!;
      this.entries.delete(oldest);
      this.bytes -= sizeOfText(oldest);
    }
  }
}
