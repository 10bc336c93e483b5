/**
 * Which L1 keys carry each tag, so that `invalidateTags` drops exactly those entries at once,
 * instead of scanning the tier or checking tags on every hit.
 */
export class TagIndex {
  private readonly keysByTag = new Map<string, Set<string>>();

  add(key: string, tags: Iterable<string>): void {
    for (const tag of tags) {
      let keys = this.keysByTag.get(tag);
      if (!keys) this.keysByTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
  }

  remove(key: string, tags: Iterable<string>): void {
    for (const tag of tags) {
      const keys = this.keysByTag.get(tag);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) this.keysByTag.delete(tag);
    }
  }

  /** The keys carrying any of `tags`, copied (dropping them changes the index). */
  keysOf(tags: Iterable<string>): string[] {
    const found = new Set<string>();
    for (const tag of tags) for (const key of this.keysByTag.get(tag) ?? []) found.add(key);
    return [...found];
  }

  /** Tags indexed now. */
  get size(): number {
    return this.keysByTag.size;
  }

  clear(): void {
    this.keysByTag.clear();
  }
}
