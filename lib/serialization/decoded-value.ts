import type { Type } from '@nestjs/common';
import { cloneValue } from './clone-value.js';
import { deepFreeze, isFreezable } from './deep-freeze.js';
import type { DecodedEntry, EntryCodec, TagVersions } from './entry-codec.js';
import type { EntryStamp } from './entry-stamp.js';
import { restoreType, type ValueType } from './value-type.js';
import { copierFor, type Copier } from './shape-copier.js';

/**
 * One stored text, decoded once and handed out many times: a copy of its own to each read, or,
 * to a read with `clone: false`, one deep-frozen value (per `type`), the same on every hit.
 */
export class DecodedValue {
  /** Bytes of the stored text (UTF-16 code units × 2), as the memory store counts `maxSize`. */
  readonly size: number;
  readonly tags?: TagVersions;
  /** When the entry expires, and how long it is kept for grace: absent without a TTL. */
  readonly stamp?: EntryStamp;
  private readonly value: unknown;
  /** The value is plain JSON data (a copier of its shape copies it); else `cloneValue` does. */
  private readonly plain: boolean;
  /** Made on the first copy of plain data: the compiled copier of its shape. */
  private copier?: Copier;
  /** Known once a read without copies asked: `false` when the value cannot be frozen. */
  private freezable?: boolean;
  /** Set once `value` is deep-frozen for reads without copies. */
  private frozenValue = false;
  private frozenEntry?: DecodedEntry;
  /** The frozen instances handed out to reads with `type`, by class (`User`, then `[User]`). */
  private instances?: Map<Type<unknown>, unknown>;
  private arrays?: Map<Type<unknown>, unknown>;

  /** Throws a `CacheError` (`E_CACHE_CORRUPTED_ENTRY`) for text that is not an entry. */
  constructor(codec: EntryCodec, stored: string) {
    const { value, tags, stamp } = codec.decode(stored);
    this.value = value;
    if (tags) this.tags = tags;
    if (stamp) this.stamp = stamp;
    this.plain = codec.isPlain(stored);
    this.size = sizeOfText(stored);
  }

  /** `read` with the entry's tags and stamp; one unchanging entry for the frozen plain value. */
  entry(type?: ValueType, clone = true): DecodedEntry {
    if (!clone && type === undefined && this.frozenEntry) return this.frozenEntry;
    const entry: DecodedEntry = {
      value: this.read(type, clone),
      tags: this.tags,
      stamp: this.stamp,
    };
    if (!clone && type === undefined && this.frozenValue) this.frozenEntry = entry;
    return entry;
  }

  /** The value as a read asks: instances of `type`, and a copy of its own unless `clone` is false. */
  read(type?: ValueType, clone = true): unknown {
    if (!clone && this.frozenValue && type === undefined) return this.value;
    if (clone || !(this.freezable ??= isFreezable(this.value))) {
      const value = this.plain
        ? (this.copier ??= copierFor(this.value))(this.value)
        : cloneValue(this.value);
      return type === undefined ? value : restoreType(value, type);
    }
    return this.frozen(type);
  }

  private frozen(type: ValueType | undefined): unknown {
    if (type === undefined) {
      if (!this.frozenValue) {
        deepFreeze(this.value);
        this.frozenValue = true;
      }
      return this.value;
    }
    const byClass = Array.isArray(type)
      ? (this.arrays ??= new Map())
      : (this.instances ??= new Map());
    const key = Array.isArray(type) ? type[0] : type;
    let instance = byClass.get(key);
    if (instance === undefined) {
      instance = deepFreeze(restoreType(cloneValue(this.value), type));
      byClass.set(key, instance);
    }
    return instance;
  }
}

/** Bytes a stored text counts for against a `maxSize`: UTF-16 code units × 2. */
export function sizeOfText(stored: string): number {
  return stored.length * 2;
}
