import { cloneJson } from './clone-json.js';
import type { DecodedEntry, EntryCodec } from './entry-codec.js';

/**
 * Remembers what the last `capacity` stored texts decoded to, for the in-process store with the
 * JSON serializer: a hit then costs a copy of the decoded value instead of a `JSON.parse`. Keyed
 * by the text itself, so an entry rewritten with other content is never answered from here, and
 * every caller still gets its own copy: mutating it never changes the cache. Oldest out first.
 */
export class DecodedMemo {
  private readonly entries = new Map<string, DecodedEntry>();

  constructor(
    private readonly codec: EntryCodec,
    private readonly capacity: number,
  ) {}

  /** Like `codec.decode(stored)`, a fresh value each time; throws for a corrupt entry. */
  decode(stored: string): DecodedEntry {
    let decoded = this.entries.get(stored);
    if (decoded === undefined) {
      decoded = this.codec.decode(stored);
      this.remember(stored, decoded);
    }
    return { value: cloneJson(decoded.value), tags: decoded.tags };
  }

  private remember(stored: string, decoded: DecodedEntry): void {
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(stored, decoded);
  }
}
