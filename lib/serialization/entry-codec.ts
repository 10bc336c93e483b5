import { CacheError } from '../errors.js';
import type { CacheSerializer } from '../interfaces/cache-module-options.interface.js';
import { jsonSerializer } from './json.serializer.js';

/** Tag name → the tag's version when the entry was written. */
export type TagVersions = Record<string, string>;

export interface DecodedEntry {
  value: unknown;
  tags?: TagVersions;
}

const PLAIN = 'J';
const TAGGED = 'T';

/**
 * The stored form of an entry: a one-letter marker, then for a tagged entry the tag versions on
 * their own line, then the serialized value. Anything else read back is corrupt.
 */
export class EntryCodec {
  constructor(private readonly serializer: CacheSerializer) {}

  /** Values come back from `JSON.parse` (the default serializer): plain data, safe to deep-copy. */
  get plainJson(): boolean {
    return this.serializer === jsonSerializer;
  }

  serialize(value: unknown): string {
    return this.serializer.serialize(value);
  }

  wrap(serialized: string, tags?: TagVersions): string {
    return tags ? `${TAGGED}${JSON.stringify(tags)}\n${serialized}` : PLAIN + serialized;
  }

  decode(stored: string): DecodedEntry {
    try {
      if (stored[0] === PLAIN) return { value: this.serializer.deserialize(stored.slice(1)) };
      if (stored[0] === TAGGED) return this.decodeTagged(stored);
    } catch (cause) {
      throw corrupt(stored, cause);
    }
    throw corrupt(stored);
  }

  private decodeTagged(stored: string): DecodedEntry {
    const newline = stored.indexOf('\n');
    if (newline < 0) throw corrupt(stored);
    const tags = JSON.parse(stored.slice(1, newline)) as TagVersions;
    if (!tags || typeof tags !== 'object') throw corrupt(stored);
    return { tags, value: this.serializer.deserialize(stored.slice(newline + 1)) };
  }
}

function corrupt(stored: string, cause?: unknown): CacheError {
  const sample = JSON.stringify(stored.slice(0, 40));
  return new CacheError('E_CACHE_CORRUPTED_ENTRY', `Cannot decode cached entry ${sample}…`, {
    cause,
  });
}
