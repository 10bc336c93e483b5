/** When a read or write began, in the tier's clock: handed to `fill` to prove it is not stale. */
export type FillToken = number & { readonly fillToken: unique symbol };

/**
 * The generation counter that keeps a slow read from filling L1 with what an invalidation made
 * while it was in flight has already dropped. One clock, bumped by every invalidation; each key
 * and tag remembers the clock of its last one, and a fill begun before it is stale. Per key and
 * per tag rather than one global generation: under steady writes a global one would refuse the
 * fills of every other key in flight, so that hot keys would keep missing L1.
 *
 * The marks are bounded: when there are more than `maxMarks`, the oldest are forgotten and the
 * floor rises to them, so a fill begun before a forgotten mark is refused (only a read in flight
 * for longer than `maxMarks` invalidations pays for it, with one more shared-store read).
 */
export class FillMarks {
  private clock = 0;
  /** A token below the floor is stale whatever it fills. */
  private floor = 0;
  private readonly keys = new Map<string, number>();
  private readonly tags = new Map<string, number>();

  constructor(private readonly maxMarks: number) {}

  /** A token for a read about to start. */
  begin(): FillToken {
    return this.clock as FillToken;
  }

  /** Marks keys invalidated now; answers the mark, a token that this mark leaves valid. */
  markKeys(keys: Iterable<string>): FillToken {
    return this.mark(this.keys, keys);
  }

  markTags(tags: Iterable<string>): FillToken {
    return this.mark(this.tags, tags);
  }

  /** Everything invalidated now (clear, trust lost or regained): every token so far is stale. */
  markAll(): void {
    this.floor = ++this.clock;
    this.keys.clear();
    this.tags.clear();
  }

  /** Whether an invalidation of `key`, of one of `tags`, or of everything came after `token`. */
  isStale(token: FillToken, key: string, tags?: Iterable<string>): boolean {
    if (token < this.floor || (this.keys.get(key) ?? 0) > token) return true;
    if (tags) for (const tag of tags) if ((this.tags.get(tag) ?? 0) > token) return true;
    return false;
  }

  private mark(marks: Map<string, number>, names: Iterable<string>): FillToken {
    const now = ++this.clock;
    for (const name of names) {
      // Deleted first so the Map's order stays the order of the marks, oldest first.
      marks.delete(name);
      marks.set(name, now);
    }
    this.forgetOldest(marks);
    return now as FillToken;
  }

  private forgetOldest(marks: Map<string, number>): void {
    for (const [name, mark] of marks) {
      if (marks.size <= this.maxMarks) return;
      marks.delete(name);
      if (mark > this.floor) this.floor = mark;
    }
  }
}
