import { CacheError } from '../errors.js';
import type { CacheSerializer } from '../interfaces/cache-module-options.interface.js';
import { dropOwnProtoKeys } from './drop-proto-keys.js';
import { EXTENDED_MARK } from './extended-annotation.js';
import { readStamp, STAMP_MARK, writeStamp, type EntryStamp } from './entry-stamp.js';
import { faithfulSerializer } from './faithful.serializer.js';
import { jsonSerializer } from './json.serializer.js';
import { toStoredData, type ValueType } from './value-type.js';

/** Tag name → the tag's version when the entry was written. */
export type TagVersions = Record<string, string>;

/**
 * An empty `TagVersions` without a prototype: a tag named `__proto__` (or `constructor`) is then
 * an own key like any other, never the object's prototype.
 */
export function noTagVersions(): TagVersions {
  return Object.create(null) as TagVersions;
}

export interface DecodedEntry {
  value: unknown;
  tags?: TagVersions;
  /** When the entry expires (and how long it is kept for grace), if it was written with a TTL. */
  stamp?: EntryStamp;
}

const PLAIN = 'J';
const TAGGED = 'T';

/**
 * The stored form of an entry: `J` then the serialized value; or, for a tagged entry, `T`, the tag
 * versions as JSON and a newline, then the serialized value. With the default serializer a value
 * in the extended form starts with `X`, and an untagged one is stored as is (`X{…}`, no `J`), so
 * `J` is always followed by plain JSON. An entry written with a TTL starts with its stamp (`E`…,
 * see `EntryStamp`): when it expires, for how long it is kept for grace. Anything else read back
 * is corrupt.
 */
export class EntryCodec {
  /** Decoded values of `isPlain` entries are plain JSON data; the others can be deep-copied too. */
  readonly copyable: boolean;
  private readonly faithful: boolean;

  constructor(private readonly serializer: CacheSerializer) {
    this.faithful = serializer === faithfulSerializer;
    this.copyable = this.faithful || serializer === jsonSerializer;
  }

  /** The value's text; with `type`, the data of its instance(s). Throws for a value it refuses. */
  serialize(value: unknown, type?: ValueType): string {
    return this.serializer.serialize(type === undefined ? value : toStoredData(value, type));
  }

  wrap(serialized: string, tags?: TagVersions): string {
    if (tags) return `${TAGGED}${JSON.stringify(tags)}\n${serialized}`;
    return this.faithful && serialized[0] === EXTENDED_MARK ? serialized : PLAIN + serialized;
  }

  /** `entry` (from `wrap`) with its stamp in front. */
  stamp(entry: string, stamp: EntryStamp): string {
    return writeStamp(stamp) + entry;
  }

  /** Throws a `CacheError` (`E_CACHE_CORRUPTED_ENTRY`) for text that is not an entry. */
  decode(stored: string): DecodedEntry {
    if (stored[0] === STAMP_MARK) return this.decodeStamped(stored);
    try {
      if (stored[0] === PLAIN) return { value: this.deserialize(stored.slice(1)) };
      if (stored[0] === TAGGED) return this.decodeTagged(stored);
      if (stored[0] === EXTENDED_MARK && this.faithful) {
        return { value: this.deserialize(stored) };
      }
    } catch (cause) {
      throw corrupt(stored, cause);
    }
    throw corrupt(stored);
  }

  /** Whether the entry's value is plain JSON data (a copyable codec only). */
  isPlain(stored: string): boolean {
    if (!this.faithful) return true;
    let at = stored[0] === STAMP_MARK ? stored.indexOf('\n') + 1 : 0;
    if (stored[at] === TAGGED) at = stored.indexOf('\n', at) + 1;
    return stored[at] !== EXTENDED_MARK;
  }

  /**
   * Every decoded value, whoever reads it (a call, the memo, L1), comes from here. A serializer of
   * the user's may hand out own `__proto__` keys: they are dropped. The built-in ones (`copyable`)
   * drop them as they parse, so their values are not walked twice.
   */
  private deserialize(text: string): unknown {
    const value = this.serializer.deserialize(text);
    if (!this.copyable) dropOwnProtoKeys(value);
    return value;
  }

  private decodeStamped(stored: string): DecodedEntry {
    const newline = stored.indexOf('\n');
    const stamp = newline < 0 ? undefined : readStamp(stored.slice(1, newline));
    const body = stored.slice(newline + 1);
    if (!stamp || body[0] === STAMP_MARK) throw corrupt(stored);
    const entry = this.decode(body);
    entry.stamp = stamp;
    return entry;
  }

  private decodeTagged(stored: string): DecodedEntry {
    const newline = stored.indexOf('\n');
    if (newline < 0) throw corrupt(stored);
    const tags = JSON.parse(stored.slice(1, newline)) as TagVersions;
    if (!tags || typeof tags !== 'object') throw corrupt(stored);
    return { tags, value: this.deserialize(stored.slice(newline + 1)) };
  }
}

function corrupt(stored: string, cause?: unknown): CacheError {
  const sample = JSON.stringify(stored.slice(0, 40));
  return new CacheError('E_CACHE_CORRUPTED_ENTRY', `Cannot decode cached entry ${sample}…`, {
    cause,
  });
}
