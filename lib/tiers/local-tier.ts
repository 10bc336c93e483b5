import type { LRUCache } from 'lru-cache';
import { Lru } from '../utils/lru.js';
import type { DecodedValue } from '../serialization/decoded-value.js';
import { noTagVersions, type TagVersions } from '../serialization/entry-codec.js';
import { FillMarks, type FillToken } from './fill-marks.js';
import { LOCAL_TIER_DEFAULTS, type LocalTierSettings } from './local-tier-options.js';
import { TagIndex } from './tag-index.js';

export type { FillToken };

export interface LocalTierStats {
  /** Reads answered from L1. */
  hits: number;
  /** Reads L1 could not answer while trusted. */
  misses: number;
  /** Reads not asked of L1 because it was distrusted (bus down). */
  bypassed: number;
  /** Fills refused: begun before an invalidation of their key, a tag or everything, or while distrusted. */
  refusedFills: number;
  /** Entries pushed out by `maxEntries` or `maxSize`. */
  evictions: number;
  /** Entries found past their L1 lifetime. */
  expired: number;
  /** Entries held now (expired ones count until touched or pushed out). */
  entries: number;
  /** Bytes held now, counted on the stored texts. */
  bytes: number;
  trusted: boolean;
}

/**
 * The in-process tier (L1) in front of a shared store: decoded entries by key, bounded by
 * `maxEntries` and `maxSize`, each living at most `ttlMs`. It holds only what its owner proved
 * current and drops what the invalidation bus names; it never talks to a store itself.
 *
 * Trust follows the bus: `distrust()` (bus `down` or `lost`) empties it, and until `trust()` (bus
 * `up`) it answers nothing and keeps nothing. Every fill carries a token from `begin()` (a read)
 * or `beginWrite()` (a write) and is refused when an invalidation of its key, of one of its tags,
 * or of everything came after: a read still in flight when a message arrives never puts back what
 * the message dropped.
 *
 * Tag versions are kept too (`currentTags`), learnt from the entries filled, dropped by
 * `invalidateTags`: a shared-store hit on a tagged entry can be checked without a round trip.
 * No timers: expiry is checked when an entry is read (`ttlAutopurge: false`, `ttlResolution: 0`).
 */
export class LocalTier {
  private readonly entries: Lru<string, DecodedValue>;
  private readonly tagVersions: Lru<string, string>;
  private readonly tagged = new TagIndex();
  private readonly marks: FillMarks;
  private readonly maxSize: number;
  private readonly ttlMs: number;
  private isTrusted: boolean;
  private readonly counts = {
    hits: 0,
    misses: 0,
    bypassed: 0,
    refusedFills: 0,
    evictions: 0,
    expired: 0,
  };

  /** Trusts `settings` (the module checks options at startup); left out: the defaults. */
  constructor(settings: LocalTierSettings = {}) {
    const { maxEntries, maxSize, ttlMs, trusted } = { ...LOCAL_TIER_DEFAULTS, ...settings };
    this.maxSize = maxSize;
    this.ttlMs = ttlMs;
    this.isTrusted = trusted;
    this.marks = new FillMarks(maxEntries);
    const expiry = {
      ttlAutopurge: false,
      ttlResolution: 0,
      ...(settings.perf ? { perf: settings.perf } : {}),
    };
    this.entries = new Lru<string, DecodedValue>({
      max: maxEntries,
      maxSize,
      sizeCalculation: (entry) => Math.max(1, entry.size),
      dispose: (entry, key, reason) => this.disposed(entry, key, reason),
      ...expiry,
    });
    this.tagVersions = new Lru<string, string>({ max: maxEntries, ...expiry });
  }

  get trusted(): boolean {
    return this.isTrusted;
  }

  /** The entry held for `key`, to hand out with `entry.read(type, clone)`; nothing when distrusted. */
  get(key: string): DecodedValue | undefined {
    if (!this.isTrusted) {
      this.counts.bypassed++;
      return undefined;
    }
    const entry = this.entries.get(key);
    if (entry === undefined) this.counts.misses++;
    else this.counts.hits++;
    return entry;
  }

  /** Call right before sending a read to the shared store; hand the token to `fill`. */
  begin(): FillToken {
    return this.marks.begin();
  }

  /**
   * Keeps what a read begun with `token` found in the shared store, unless it is stale. Only for
   * an entry proved current (its tag versions checked): they are learnt as current too.
   * @param ttlMs The entry's remaining TTL when known; `undefined` or `0`: none.
   * @returns whether it was kept.
   */
  fill(key: string, entry: DecodedValue, token: FillToken, ttlMs?: number): boolean {
    if (!this.isTrusted || this.marks.isStale(token, key, tagNames(entry))) {
      this.counts.refusedFills++;
      return false;
    }
    return this.keep(key, entry, ttlMs);
  }

  /**
   * Call when a write starts, before any tag snapshot or loader: drops the key's copy and refuses
   * the fills of reads already in flight. Hand the token to `commitWrite`; a tag invalidated
   * between the two leaves the written entry out of L1, as it leaves it outdated in the store.
   */
  beginWrite(key: string): FillToken {
    this.entries.delete(key);
    return this.marks.markKeys([key]);
  }

  /**
   * After the shared store took the write begun with `token`: keeps the written entry, unless
   * anything invalidated the key since (another write among them: which one the store kept last
   * is unknown, so neither is kept). In every case refuses the fills of reads begun while the
   * write was in flight, which may have read the value before it.
   */
  commitWrite(key: string, entry: DecodedValue, token: FillToken, ttlMs?: number): boolean {
    const stale = !this.isTrusted || this.marks.isStale(token, key, tagNames(entry));
    if (stale) this.entries.delete(key);
    this.marks.markKeys([key]);
    if (stale) {
      this.counts.refusedFills++;
      return false;
    }
    return this.keep(key, entry, ttlMs);
  }

  /** Drops the keys' copies (a write or delete anywhere); fills begun before are refused. */
  delete(keys: readonly string[]): void {
    for (const key of keys) this.entries.delete(key);
    this.marks.markKeys(keys);
  }

  /** Drops exactly the entries carrying one of `tags`, and the tags' versions. */
  invalidateTags(tags: readonly string[]): void {
    for (const key of this.tagged.keysOf(tags)) this.entries.delete(key);
    for (const tag of tags) this.tagVersions.delete(tag);
    this.marks.markTags(tags);
  }

  /** Drops everything; fills begun before are refused. */
  clear(): void {
    this.entries.clear();
    this.tagVersions.clear();
    this.tagged.clear();
    this.marks.markAll();
  }

  /** The bus is down or lost messages: empty, and answer nothing until `trust()`. */
  distrust(): void {
    this.isTrusted = false;
    this.clear();
  }

  /** The bus is up: answer again. Reads begun while distrusted still fill nothing. */
  trust(): void {
    if (this.isTrusted) return;
    this.marks.markAll();
    this.isTrusted = true;
  }

  /**
   * The current versions of `tags` as L1 last learnt them, or `undefined` when it does not know
   * one of them (ask the shared store). An entry recording exactly these is current.
   */
  currentTags(tags: readonly string[]): TagVersions | undefined {
    if (!this.isTrusted) return undefined;
    const versions = noTagVersions();
    for (const tag of tags) {
      const version = this.tagVersions.get(tag);
      if (version === undefined) return undefined;
      versions[tag] = version;
    }
    return versions;
  }

  /** Whether L1 knows every tag of `recorded` to still have the recorded version. */
  isCurrent(recorded: TagVersions): boolean {
    for (const tag in recorded) {
      if (!this.isTrusted || this.tagVersions.get(tag) !== recorded[tag]) return false;
    }
    return true;
  }

  stats(): LocalTierStats {
    return {
      ...this.counts,
      entries: this.entries.size,
      bytes: this.entries.calculatedSize,
      trusted: this.isTrusted,
    };
  }

  private keep(key: string, entry: DecodedValue, ttlMs: number | undefined): boolean {
    const ttl = lifetime(ttlMs, this.ttlMs);
    if (ttl <= 0 || entry.size > this.maxSize) {
      this.entries.delete(key);
      return false;
    }
    const options = ttl === Infinity ? undefined : { ttl };
    this.entries.set(key, entry, options);
    if (entry.tags) {
      this.tagged.add(key, Object.keys(entry.tags));
      for (const tag in entry.tags) this.tagVersions.set(tag, entry.tags[tag], options);
    }
    return true;
  }

  private disposed(entry: DecodedValue, key: string, reason: LRUCache.DisposeReason): void {
    if (entry.tags) this.tagged.remove(key, Object.keys(entry.tags));
    if (reason === 'evict') this.counts.evictions++;
    else if (reason === 'expire') this.counts.expired++;
  }
}

/** How long an entry may live in L1: its own remaining TTL, capped. */
function lifetime(ttlMs: number | undefined, cap: number): number {
  return ttlMs === undefined || ttlMs === 0 ? cap : Math.min(Math.ceil(ttlMs), cap);
}

function tagNames(entry: DecodedValue): string[] | undefined {
  return entry.tags && Object.keys(entry.tags);
}
