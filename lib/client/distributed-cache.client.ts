import { CacheClient } from '../cache-client.js';
import { CacheError } from '../errors.js';
import { CACHE_CALL_TARGET, type CacheCallTarget } from '../interception/cache-call-target.js';
import type {
  CacheEntry,
  CacheStats,
  GetOptions,
  GetOrSetOptions,
  SetOptions,
} from '../interfaces/cache-client.interface.js';
import type { Ttl } from '../interfaces/cache-module-options.interface.js';
import type { DecodedMemo } from '../serialization/decoded-memo.js';
import { EntryCodec, type TagVersions } from '../serialization/entry-codec.js';
import type { ValueType } from '../serialization/value-type.js';
import { chain, isPromiseLike, type MaybePromise } from '../utils/maybe-promise.js';
import { toTtlMs } from '../utils/ttl.js';
import type { SafeStore } from './safe-store.js';
import { SingleFlight } from './single-flight.js';
import { TagVersionRegistry } from './tag-versions.js';
import {
  AS_CONFIGURED,
  readPolicy,
  ValueReader,
  type Outcome,
  type ReadPolicy,
} from './value-reader.js';

export type { ReadPolicy };

/**
 * How an entry is written: TTL already in milliseconds, tags, a last veto on the value, and (for
 * `cached`, which also reads) how the value is handed out.
 */
export interface WritePolicy extends ReadPolicy {
  ttlMs: number | undefined;
  tags?: readonly string[];
  shouldStore?(value: unknown): boolean;
}

export interface ClientSettings {
  /**
   * Default of `clone` for reads that do not say.
   * @default true
   */
  clone?: boolean;
}

export type ReadResult = { hit: true; value: unknown; stored: string } | { hit: false };

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
  private readonly values: ValueReader;
  /**
   * @param memo On the in-process store: decoded entries, copied out on each hit instead of
   *   parsed again.
   */
  constructor(
    private readonly store: SafeStore,
    private readonly codec: EntryCodec,
    private readonly defaultTtlMs: number | undefined,
    memo?: DecodedMemo,
    { clone = true }: ClientSettings = {},
  ) {
    super();
    this.tags = new TagVersionRegistry(store);
    this.values = new ValueReader(codec, memo, clone, (operation, error) =>
      store.report(operation, error),
    );
  }

  /** The store answers at once (memory): decorated synchronous methods stay synchronous. */
  get synchronous(): boolean {
    return this.store.synchronous;
  }

  async get<T = unknown>(key: string, options?: GetOptions): Promise<T | undefined> {
    const policy = options === undefined ? AS_CONFIGURED : readPolicy(options, 'get()');
    const found = await this.read(checkKey(key), policy);
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
    ttlOrOptions?: Ttl | GetOrSetOptions,
  ): Promise<T> {
    return this.cached(checkKey(key), loader, this.policy(ttlOrOptions, 'getOrSet()'));
  }

  async invalidateTags(tags: readonly string[]): Promise<boolean> {
    return this.tags.invalidate(tags.map(checkTag));
  }

  async clear(): Promise<boolean> {
    const cleared = await this.store.clear();
    this.values.forget();
    return cleared;
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

  /**
   * TTL, tags, `type` and `clone` of a call, TTL parsed once to milliseconds; a bad TTL throws
   * `CacheTtlError`, a bad `type` or `clone` `CacheOptionsError`.
   */
  policy(ttlOrOptions: Ttl | GetOrSetOptions | undefined, where: string): WritePolicy {
    if (ttlOrOptions === undefined) return { ttlMs: this.defaultTtlMs };
    if (typeof ttlOrOptions !== 'object') return { ttlMs: toTtlMs(ttlOrOptions, where) };
    const { ttl, tags } = ttlOrOptions;
    return {
      ttlMs: this.ttlMsOf(ttl, where),
      tags: tags?.map(checkTag),
      ...readPolicy(ttlOrOptions, where),
    };
  }

  /**
   * Cache-aside with single-flight: a hit, or one `load` per key at a time whose result is stored
   * before it is returned. Synchronous end to end when the store and `load` are. The caller whose
   * call loaded gets the loader's value itself; every caller that joined gets its own copy (one
   * frozen value with `clone: false`), decoded from the entry's text.
   */
  cached<T>(key: string, load: () => MaybePromise<T>, policy: WritePolicy): MaybePromise<T> {
    const running = this.flights.join(key);
    if (running) return running.then((outcome) => this.values.copyFor(outcome, policy) as T);
    const outcome = chain(this.read(key, policy), (found): MaybePromise<Outcome> =>
      found.hit ? found : this.loadAndStore(key, load, policy),
    );
    if (!isPromiseLike(outcome)) return outcome.value as T;
    return this.flights.track(key, outcome, (first) => first.value as T);
  }

  /** The entry, handed out as `policy` asks (`type`, `clone`); corrupt or outdated: a miss. */
  read(key: string, policy: ReadPolicy = AS_CONFIGURED): MaybePromise<ReadResult> {
    return chain(this.store.get(key), (stored) => this.accept(key, stored, policy));
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

  private loadAndStore<T>(
    key: string,
    load: () => MaybePromise<T>,
    policy: WritePolicy,
  ): MaybePromise<Outcome> {
    // Tag versions are read before the loader runs: an invalidation that lands while it runs
    // leaves this entry already outdated instead of caching data read before the invalidation.
    const versions = policy.tags && this.tags.snapshot(policy.tags);
    if (isPromiseLike(versions)) versions.then(undefined, () => undefined);
    return chain(load, (value) => {
      const outcome: Outcome = { value };
      return chain(this.writeWith(key, value, policy, versions, outcome), () => outcome);
    });
  }

  /** Stores the value; with `outcome`, records there the entry text joiners decode copies from. */
  private writeWith(
    key: string,
    value: unknown,
    policy: WritePolicy,
    versions: MaybePromise<TagVersions | undefined> | undefined,
    outcome?: Outcome,
  ): MaybePromise<boolean> {
    if (value === undefined || policy.shouldStore?.(value) === false) return false;
    const serialized = this.serialize(key, value, policy.type);
    const untagged = serialized === undefined ? null : this.codec.wrap(serialized);
    if (outcome) outcome.stored = untagged;
    if (untagged === null) return false;
    if (!policy.tags) return this.put(key, untagged, policy.ttlMs);
    return chain(versions, (current) =>
      current ? this.put(key, this.codec.wrap(serialized!, current), policy.ttlMs) : false,
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

  private serialize(key: string, value: unknown, type?: ValueType): string | undefined {
    try {
      return this.codec.serialize(value, type);
    } catch (cause) {
      const detail = cause instanceof CacheError ? ` ${cause.message}` : '';
      const error = new CacheError(
        'E_CACHE_UNSERIALIZABLE',
        `Value for "${key}" cannot be serialized, so it was not cached.${detail}`,
        { cause },
      );
      this.store.report('serialize', error);
      return undefined;
    }
  }

  /** Decodes what the store answered; a corrupt entry is a miss and is removed. */
  private accept(
    key: string,
    stored: string | undefined,
    policy: ReadPolicy = AS_CONFIGURED,
  ): MaybePromise<ReadResult> {
    if (stored === undefined) return this.miss();
    let decoded;
    try {
      decoded = this.values.decode(stored, policy);
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
