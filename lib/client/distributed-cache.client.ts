import { CacheClient } from '../cache-client.js';
import { CacheError } from '../errors.js';
import { CACHE_CALL_TARGET, type CacheCallTarget } from '../interception/cache-call-target.js';
import type { CacheEntry, CacheStats, SetOptions } from '../interfaces/cache-client.interface.js';
import type { Ttl } from '../interfaces/cache-module-options.interface.js';
import type { DecodedMemo } from '../serialization/decoded-memo.js';
import { EntryCodec, type DecodedEntry, type TagVersions } from '../serialization/entry-codec.js';
import { chain, isPromiseLike, type MaybePromise } from '../utils/maybe-promise.js';
import { toTtlMs } from '../utils/ttl.js';
import type { SafeStore } from './safe-store.js';
import { SingleFlight } from './single-flight.js';
import { TagVersionRegistry } from './tag-versions.js';

/** How an entry is written: TTL already in milliseconds, tags, and a last veto on the value. */
export interface WritePolicy {
  ttlMs: number | undefined;
  tags?: readonly string[];
  shouldStore?(value: unknown): boolean;
}

export type ReadResult = { hit: true; value: unknown; stored: string } | { hit: false };

type Outcome = { value: unknown; stored?: string };

const MISS: ReadResult = { hit: false };

/**
 * All cache policy, written once above the store drivers: keys, TTLs, serialization, tags,
 * single-flight loading, stats. Methods return synchronously when the store does (memory), which
 * keeps a sync `@Cacheable` method sync; the public API always answers with a Promise.
 */
export class DistributedCacheClient extends CacheClient implements CacheCallTarget {
  readonly [CACHE_CALL_TARGET] = true;
  private readonly counters = { hits: 0, misses: 0, sets: 0, deletes: 0 };
  private readonly tags: TagVersionRegistry;
  private readonly flights = new SingleFlight<Outcome>();
  /**
   * @param memo On the in-process store with JSON: decoded entries, copied out on each hit
   *   instead of parsed again.
   */
  constructor(
    private readonly store: SafeStore,
    private readonly codec: EntryCodec,
    private readonly defaultTtlMs: number | undefined,
    private readonly memo?: DecodedMemo,
  ) {
    super();
    this.tags = new TagVersionRegistry(store);
  }

  /** The store answers at once (memory): decorated synchronous methods stay synchronous. */
  get synchronous(): boolean {
    return this.store.synchronous;
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const found = await this.read(checkKey(key));
    return found.hit ? (found.value as T) : undefined;
  }

  async set<T>(key: string, value: T, ttlOrOptions?: Ttl | SetOptions): Promise<boolean> {
    return this.write(checkKey(key), value, this.policy(ttlOrOptions, 'set()'));
  }

  async delete(key: string): Promise<boolean> {
    this.counters.deletes++;
    return this.store.delete(checkKey(key));
  }

  async has(key: string): Promise<boolean> {
    return (await this.read(checkKey(key))).hit;
  }

  async getMany<T = unknown>(keys: readonly string[]): Promise<(T | undefined)[]> {
    const stored = (await this.store.getMany(keys.map(checkKey))) ?? keys.map(() => undefined);
    return Promise.all(
      stored.map(async (text, i) => {
        const found = await this.accept(keys[i], text);
        return found.hit ? (found.value as T) : undefined;
      }),
    );
  }

  async setMany(entries: readonly CacheEntry[]): Promise<boolean> {
    const encoded = entries.flatMap(({ key, value, ttl }) => {
      const stored = this.encode(checkKey(key), value);
      const ttlMs = this.ttlMsOf(ttl, `setMany() "${key}"`);
      return stored === undefined ? [] : [{ key, value: stored, ttlMs }];
    });
    const written = await this.store.setMany(encoded);
    if (written) this.counters.sets += encoded.length;
    return written && encoded.length === entries.length;
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    this.counters.deletes += keys.length;
    return this.store.deleteMany(keys.map(checkKey));
  }

  async getOrSet<T>(
    key: string,
    loader: () => T | Promise<T>,
    ttlOrOptions?: Ttl | SetOptions,
  ): Promise<T> {
    return this.cached(checkKey(key), loader, this.policy(ttlOrOptions, 'getOrSet()'));
  }

  async invalidateTags(tags: readonly string[]): Promise<boolean> {
    return this.tags.invalidate(tags.map(checkTag));
  }

  async clear(): Promise<boolean> {
    return this.store.clear();
  }

  stats(): CacheStats {
    const { hits, misses } = this.counters;
    const reads = hits + misses;
    return {
      store: this.store.name,
      ...this.counters,
      errors: this.store.errors,
      hitRate: reads === 0 ? 0 : hits / reads,
    };
  }

  /** A TTL in milliseconds: the default when `ttl` is `undefined`; a bad TTL throws `CacheTtlError`. */
  ttlMsOf(ttl: Ttl | undefined, where: string): number | undefined {
    return ttl === undefined ? this.defaultTtlMs : toTtlMs(ttl, where);
  }

  /** TTL and tags of a call, TTL parsed once to milliseconds; a bad TTL throws `CacheTtlError`. */
  policy(ttlOrOptions: Ttl | SetOptions | undefined, where: string): WritePolicy {
    if (ttlOrOptions === undefined) return { ttlMs: this.defaultTtlMs };
    if (typeof ttlOrOptions !== 'object') return { ttlMs: toTtlMs(ttlOrOptions, where) };
    const { ttl, tags } = ttlOrOptions;
    return {
      ttlMs: this.ttlMsOf(ttl, where),
      tags: tags?.map(checkTag),
    };
  }

  /**
   * Cache-aside with single-flight: a hit, or one `load` per key at a time whose result is stored
   * before it is returned. Synchronous end to end when the store and `load` are.
   */
  cached<T>(key: string, load: () => MaybePromise<T>, policy: WritePolicy): MaybePromise<T> {
    const running = this.flights.join(key);
    if (running) return running.then((outcome) => this.copyOf(outcome) as T);
    const outcome = chain(this.read(key), (found): MaybePromise<Outcome> =>
      found.hit ? found : chain(this.loadAndStore(key, load, policy), (value) => ({ value })),
    );
    if (!isPromiseLike(outcome)) return outcome.value as T;
    return this.flights.track(key, outcome, (first) => first.value as T);
  }

  read(key: string): MaybePromise<ReadResult> {
    return chain(this.store.get(key), (stored) => this.accept(key, stored));
  }

  write(key: string, value: unknown, policy: WritePolicy): MaybePromise<boolean> {
    return this.writeWith(key, value, policy, policy.tags && this.tags.snapshot(policy.tags));
  }

  /** Logs (once per burst) and counts a failure met above the store. */
  report(operation: string, error: unknown): void {
    this.store.report(operation, error);
  }

  /** Deletes keys, then invalidates tags; never throws. */
  evict(keys: readonly string[], tags: readonly string[] = []): MaybePromise<void> {
    this.counters.deletes += keys.length;
    const deleted = keys.length === 1 ? this.store.delete(keys[0]) : this.store.deleteMany(keys);
    return chain(deleted, () =>
      chain(tags.length ? this.tags.invalidate(tags) : true, () => undefined),
    );
  }

  private loadAndStore<T>(key: string, load: () => MaybePromise<T>, policy: WritePolicy) {
    // Tag versions are read before the loader runs: an invalidation that lands while it runs
    // leaves this entry already outdated instead of caching data read before the invalidation.
    const versions = policy.tags && this.tags.snapshot(policy.tags);
    if (isPromiseLike(versions)) versions.then(undefined, () => undefined);
    return chain(load, (value) => chain(this.writeWith(key, value, policy, versions), () => value));
  }

  private writeWith(
    key: string,
    value: unknown,
    policy: WritePolicy,
    versions: MaybePromise<TagVersions | undefined> | undefined,
  ): MaybePromise<boolean> {
    if (value === undefined || policy.shouldStore?.(value) === false) return false;
    const serialized = this.serialize(key, value);
    if (serialized === undefined) return false;
    if (!policy.tags) return this.put(key, this.codec.wrap(serialized), policy.ttlMs);
    return chain(versions, (current) =>
      current ? this.put(key, this.codec.wrap(serialized, current), policy.ttlMs) : false,
    );
  }

  private put(key: string, stored: string, ttlMs: number | undefined): MaybePromise<boolean> {
    return chain(this.store.set(key, stored, ttlMs), (written) => {
      if (written) this.counters.sets++;
      return written;
    });
  }

  private encode(key: string, value: unknown): string | undefined {
    if (value === undefined) return undefined;
    const serialized = this.serialize(key, value);
    return serialized === undefined ? undefined : this.codec.wrap(serialized);
  }

  private serialize(key: string, value: unknown): string | undefined {
    try {
      return this.codec.serialize(value);
    } catch (cause) {
      const error = new CacheError(
        'E_CACHE_UNSERIALIZABLE',
        `Value for "${key}" cannot be serialized, so it was not cached`,
        { cause },
      );
      this.store.report('serialize', error);
      return undefined;
    }
  }

  /** Decodes what the store answered; a corrupt entry is a miss and is removed. */
  private accept(key: string, stored: string | undefined): MaybePromise<ReadResult> {
    if (stored === undefined) return this.miss();
    let decoded;
    try {
      decoded = this.decode(stored);
    } catch (error) {
      this.store.report(`decode "${key}"`, error);
      return chain(this.store.delete(key), () => this.miss());
    }
    const { value, tags } = decoded;
    if (!tags) return this.hit(value, stored);
    return chain(this.tags.isCurrent(tags), (current) =>
      current ? this.hit(value, stored) : this.miss(),
    );
  }

  private hit(value: unknown, stored: string): ReadResult {
    this.counters.hits++;
    return { hit: true, value, stored };
  }

  private miss(): ReadResult {
    this.counters.misses++;
    return MISS;
  }

  /** A fresh value each call: a caller may mutate what it gets without changing the cache. */
  private decode(stored: string): DecodedEntry {
    return this.memo ? this.memo.decode(stored) : this.codec.decode(stored);
  }

  /** A caller that joined a flight gets its own copy of a cached value. */
  private copyOf(outcome: Outcome): unknown {
    return outcome.stored === undefined ? outcome.value : this.decode(outcome.stored).value;
  }
}

function checkKey(key: string): string {
  if (typeof key === 'string' && key.length > 0) return key;
  throw new CacheError(
    'E_CACHE_INVALID_KEY',
    `Cache key must be a non-empty string, got ${String(key)}`,
  );
}

function checkTag(tag: string): string {
  if (typeof tag === 'string' && tag.length > 0) return tag;
  throw new CacheError(
    'E_CACHE_INVALID_KEY',
    `Cache tag must be a non-empty string, got ${String(tag)}`,
  );
}
