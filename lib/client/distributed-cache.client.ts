// Imported: the global `performance` is a getter, read on every use (Node 20).
import { performance } from 'node:perf_hooks';
import { CacheClient } from '../cache-client.js';
import { CacheError, CacheValueTooLargeError } from '../errors.js';
import { CACHE_DEFAULTS } from '../options/cache-defaults.js';
import { CACHE_CALL_TARGET, type CacheCallTarget } from '../interception/cache-call-target.js';
import type {
  CacheEntry,
  CachePing,
  CacheStats,
  GetOptions,
  GetOrSetOptions,
  SetOptions,
} from '../interfaces/cache-client.interface.js';
import type { LoaderResilienceOptions, Ttl } from '../interfaces/cache-module-options.interface.js';
import { Logger } from '@nestjs/common';
import type { DecodedMemo } from '../serialization/decoded-memo.js';
import { DecodedValue } from '../serialization/decoded-value.js';
import { EntryCodec, type TagVersions } from '../serialization/entry-codec.js';
import { keptUntil, type EntryStamp } from '../serialization/entry-stamp.js';
import { Unopened, type ValueEnvelope } from '../serialization/value-envelope.js';
import { DistributedLock } from '../resilience/distributed-lock.js';
import { FailureLog } from '../resilience/failure-log.js';
import { isExpired } from '../resilience/freshness.js';
import {
  cacheChannels,
  traced,
  type CacheOperation,
  type CacheOperationContext,
} from '../observability/cache-channels.js';
import { MethodStatsRegistry, type MethodStats } from '../observability/method-stats.js';
import { trackCache } from '../observability/live-caches.js';
import { DEFAULT_CACHE_NAME } from '../cache.constants.js';
import { GuardedLoads } from '../resilience/guarded-loads.js';
import {
  DEFAULT_LOAD_POLICY,
  resolveLoadPolicy,
  type LoadPolicy,
} from '../resilience/load-policy.js';
import type { ValueType } from '../serialization/value-type.js';
import { chain, isPromiseLike, type MaybePromise } from '../utils/maybe-promise.js';
import { toTtlMs } from '../utils/ttl.js';
import type { FillToken } from '../tiers/local-tier.js';
import type { TwoTiers } from '../tiers/two-tiers.js';
import type { SafeStore } from './safe-store.js';
import { storeKey, storeKeys } from './key-space.js';
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
  /** Grace, loader timeouts, refresh ahead, lock; `undefined`: the module's. */
  load?: LoadPolicy;
  /** Told, for each caller of `cached`, how its value was found (`X-Cache`, per-method stats). */
  onResult?(result: CallResult, tier: 'l1' | 'l2' | undefined): void;
  /** Told of each run of the loader by `cached`: how long it took, and whether it failed. */
  onLoad?(durationMs: number, failed: boolean): void;
  /** `Class.method` of a decorated call, for the operation's events. */
  method?: string;
}

/** How one caller's value was found: a fresh hit, a load, or a stale value standing in. */
export type CallResult = 'hit' | 'miss' | 'stale';

export interface ClientSettings {
  /** The cache's name, in events and metrics. @default 'default' */
  name?: string;
  /**
   * Default of `clone` for reads that do not say.
   * @default true
   */
  clone?: boolean;
  /** An L1 in front of the store, kept consistent by a bus. */
  tiers?: TwoTiers;
  /** The module's `grace`, `softTimeout`, `refreshAhead`, `lock`… */
  loads?: LoadPolicy;
  /** Where loader failures (served stale instead, refreshes that failed) are logged. */
  loaderLog?: FailureLog;
  /**
   * Where tag versions are kept, when not beside the entries: the memory store keeps them in an
   * LRU of their own, so that the versions of many tags never evict entries (nor entries versions).
   */
  tagVersions?: SafeStore;
  /** Largest entry stored, in bytes (UTF-8). @default CACHE_DEFAULTS.maxValueSize */
  maxValueSize?: number;
  /** Compression and encryption of the values sent to the store. */
  envelope?: ValueEnvelope;
}

/**
 * A hit carries what joiners of a single-flight decode their own copies from: the entry's text, or
 * the entry decoded once (an L1 entry).
 */
export type ReadResult = Hit | { hit: false; stale?: Hit };

/** A current entry: its value as the read asked, and what joiners decode their own copies from. */
export interface Hit {
  hit: true;
  value: unknown;
  stored?: string;
  entry?: DecodedValue;
  stamp?: EntryStamp;
  tier: 'l1' | 'l2';
  /** Set when a stale value stands in for a load that failed or was too slow. */
  result?: 'stale';
}

/** What `loadAndStore` is told besides the policy. */
interface WriteContext {
  /** Where joiners of the load find the entry's text. */
  outcome?: Outcome;
  /** From `l1.beginWrite` (or `l1.begin` for a refresh that keeps the L1 copy meanwhile). */
  token?: FillToken;
  /** How long the loader took, recorded in the entry for probabilistic refresh. */
  loadMs?: number;
}

const MISS: ReadResult = { hit: false };

/**
 * All cache policy, written once above the store drivers: keys, TTLs, serialization, tags,
 * single-flight loading, stats. Methods return synchronously when the store does (memory), which
 * keeps a sync `@Cacheable` method sync; the public API always answers with a Promise.
 */
export class DistributedCacheClient extends CacheClient implements CacheCallTarget {
  readonly [CACHE_CALL_TARGET] = true;
  private readonly counters = { hits: 0, l1Hits: 0, misses: 0, sets: 0, deletes: 0 };
  private readonly loadDefaults: LoadPolicy;
  private readonly guarded: GuardedLoads;
  private readonly methods = new MethodStatsRegistry();
  /** The cache's name, in events and metrics. */
  readonly name: string;
  private readonly untrack: () => void;
  private readonly envelope?: ValueEnvelope;
  private readonly tags: TagVersionRegistry;
  private readonly flights = new SingleFlight<Outcome>();
  private readonly values: ValueReader;
  private readonly clone: boolean;
  private readonly tiers?: TwoTiers;
  private readonly maxValueSize: number;
  /**
   * @param memo On the in-process store: decoded entries, copied out on each hit instead of
   *   parsed again.
   */
  constructor(
    private readonly store: SafeStore,
    private readonly codec: EntryCodec,
    private readonly defaultTtlMs: number | undefined,
    memo?: DecodedMemo,
    {
      clone = true,
      tiers,
      loads,
      loaderLog,
      name = DEFAULT_CACHE_NAME,
      envelope,
      ...more
    }: ClientSettings = {},
  ) {
    super();
    this.envelope = envelope?.active ? envelope : undefined;
    this.name = name;
    this.clone = clone;
    this.maxValueSize = more.maxValueSize ?? CACHE_DEFAULTS.maxValueSize;
    this.tiers = tiers;
    this.loadDefaults = loads ?? DEFAULT_LOAD_POLICY;
    const lock = store.locks ? new DistributedLock(store, tiers) : undefined;
    const log = loaderLog ?? new FailureLog(new Logger('CacheClient'));
    this.guarded = new GuardedLoads(this, lock, log);
    this.untrack = trackCache(this);
    this.tags = new TagVersionRegistry(more.tagVersions ?? store);
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
    checkKey(key);
    const channel = cacheChannels.delete;
    if (!channel.hasSubscribers) return this.deleteOne(key);
    return traced(channel, this.context('delete', key), () => this.deleteOne(key));
  }

  private async deleteOne(key: string): Promise<boolean> {
    this.counters.deletes++;
    const existed = await this.store.delete(storeKey(key));
    await this.tiers?.dropEverywhere({ keys: [key] });
    return existed;
  }

  async has(key: string): Promise<boolean> {
    return (await this.read(checkKey(key))).hit;
  }

  async getMany<T = unknown>(keys: readonly string[]): Promise<(T | undefined)[]> {
    keys.forEach(checkKey);
    const channel = cacheChannels.getMany;
    if (!channel.hasSubscribers) return this.readMany<T>(keys);
    return traced(channel, this.context('getMany', undefined, keys), () => this.readMany<T>(keys));
  }

  private async readMany<T>(keys: readonly string[]): Promise<(T | undefined)[]> {
    const l1 = this.tiers?.l1;
    const held = keys.map((key) => l1?.get(key));
    const fetch = keys.filter((_, i) => held[i] === undefined);
    const token = l1?.begin();
    const fetched = fetch.length ? await this.store.getMany(storeKeys(fetch)) : [];
    let next = 0;
    return Promise.all(
      keys.map(async (key, i) => {
        const entry = held[i];
        const found = entry
          ? this.l1Hit(key, entry, AS_CONFIGURED)
          : await this.accept(key, fetched?.[next++], AS_CONFIGURED, token);
        return found.hit ? (found.value as T) : undefined;
      }),
    );
  }

  async setMany(entries: readonly CacheEntry[]): Promise<boolean> {
    const channel = cacheChannels.setMany;
    if (!channel.hasSubscribers) return this.writeMany(entries);
    const keys = entries.map(({ key }) => key);
    return traced(channel, this.context('setMany', undefined, keys), () => this.writeMany(entries));
  }

  private async writeMany(entries: readonly CacheEntry[]): Promise<boolean> {
    const tooLarge: string[] = [];
    const encoded = entries.flatMap(({ key, value, ttl }) => {
      const ttlMs = this.ttlMsOf(ttl, `setMany() "${key}"`);
      const stored = this.encode(checkKey(key), value, ttlMs);
      if (stored === undefined) return [];
      const sealed = this.envelope ? this.envelope.seal(key, stored) : stored;
      if (!this.fits(key, sealed)) {
        tooLarge.push(key);
        return [];
      }
      const keptMs = ttlMs === undefined ? undefined : ttlMs + this.loadDefaults.graceMs;
      return [{ key, value: stored, sealed, ttlMs: keptMs }];
    });
    if (tooLarge.length) await this.deleteAll(tooLarge);
    const tokens = encoded.map(({ key }) => this.tiers?.l1.beginWrite(key));
    const sent = encoded.map(({ key, sealed, ttlMs }) => ({
      key: storeKey(key),
      value: sealed,
      ttlMs,
    }));
    const written = await this.store.setMany(sent);
    if (written) this.counters.sets += encoded.length;
    if (this.tiers) {
      encoded.forEach(({ key, value, ttlMs }, i) =>
        this.keepWritten(key, value, ttlMs, tokens[i]!, written),
      );
      await this.tiers.announce({ keys: encoded.map(({ key }) => key) });
    }
    return written && encoded.length === entries.length;
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    keys.forEach(checkKey);
    const channel = cacheChannels.deleteMany;
    if (!channel.hasSubscribers) return this.deleteAll(keys);
    return traced(channel, this.context('deleteMany', undefined, keys), () => this.deleteAll(keys));
  }

  private async deleteAll(keys: readonly string[]): Promise<number> {
    this.counters.deletes += keys.length;
    const deleted = await this.store.deleteMany(storeKeys(keys));
    await this.tiers?.dropEverywhere({ keys: [...keys] });
    return deleted;
  }

  async getOrSet<T>(
    key: string,
    loader: () => T | Promise<T>,
    ttlOrOptions?: Ttl | GetOrSetOptions,
  ): Promise<T> {
    return this.cached(checkKey(key), loader, this.policy(ttlOrOptions, 'getOrSet()'));
  }

  async invalidateTags(tags: readonly string[]): Promise<boolean> {
    tags.forEach(checkTag);
    const channel = cacheChannels.invalidateTags;
    if (!channel.hasSubscribers) return this.invalidate(tags);
    const context = this.context('invalidateTags', undefined, tags);
    return traced(channel, context, () => this.invalidate(tags));
  }

  private async invalidate(tags: readonly string[]): Promise<boolean> {
    const invalidated = await this.tags.invalidate(tags);
    await this.tiers?.dropEverywhere({ tags: [...tags] });
    return invalidated;
  }

  /** Removes every entry of this cache, in the shared store and in every app server's L1. */
  async clear(): Promise<boolean> {
    const channel = cacheChannels.clear;
    if (!channel.hasSubscribers) return this.clearAll();
    return traced(channel, this.context('clear'), () => this.clearAll());
  }

  private async clearAll(): Promise<boolean> {
    const cleared = await this.store.clear();
    this.values.forget();
    await this.tiers?.dropEverywhere({ clear: true });
    return cleared;
  }

  private context(
    operation: CacheOperation,
    key?: string,
    keys?: readonly string[],
    method?: string,
  ): CacheOperationContext {
    return { cache: this.name, store: this.store.name, operation, key, keys, method };
  }

  /** The counters of a decorated method (`Class.method`) on this cache, made on first use. */
  methodStats(name: string): MethodStats {
    return this.methods.of(name);
  }

  /** Stops the bus of the L1 tier, if any. */
  async close(): Promise<void> {
    this.untrack();
    this.store.close();
    await this.tiers?.close();
  }

  /** Every server of the store with its round trip; see `CacheClient.ping`. */
  override ping(): Promise<CachePing> {
    return this.store.ping();
  }

  stats(): CacheStats {
    const { hits, l1Hits, misses, sets, deletes } = this.counters;
    const reads = hits + misses;
    return {
      store: this.store.name,
      hits,
      l1Hits,
      l2Hits: hits - l1Hits,
      misses,
      sets,
      deletes,
      errors: this.store.errors,
      hitRate: reads === 0 ? 0 : hits / reads,
      ...this.guarded.counts,
      methods: this.methods.snapshot(),
      ...this.tiers?.stats(),
      ...this.store.stats(),
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
      load: this.loadPolicyOf(ttlOrOptions, where),
    };
  }

  /** `grace`, timeouts, `refreshAhead` and `lock` of a call or decorator, over the module's. */
  loadPolicyOf(options: LoaderResilienceOptions, where: string): LoadPolicy {
    return resolveLoadPolicy(options, this.loadDefaults, where);
  }

  /**
   * Cache-aside with single-flight: a hit, or one `load` per key at a time whose result is stored
   * before it is returned. Synchronous end to end when the store and `load` are. The caller whose
   * call loaded gets the loader's value itself; every caller that joined gets its own copy (one
   * frozen value with `clone: false`), decoded from the entry's text.
   */
  cached<T>(key: string, load: () => MaybePromise<T>, policy: WritePolicy): MaybePromise<T> {
    const channel = cacheChannels.getOrSet;
    if (!channel.hasSubscribers) return this.cacheAside(key, load, policy);
    const context = this.context('getOrSet', key, undefined, policy.method);
    const observed: WritePolicy = {
      ...policy,
      onResult: (result, tier) => {
        context.result = result;
        if (tier) context.tier = tier;
        policy.onResult?.(result, tier);
      },
    };
    return traced(channel, context, () => this.cacheAside(key, load, observed));
  }

  private cacheAside<T>(
    key: string,
    load: () => MaybePromise<T>,
    policy: WritePolicy,
  ): MaybePromise<T> {
    const running = this.flights.join(key);
    if (running) {
      return running.then((outcome) => {
        this.joined(outcome, policy);
        return this.values.copyFor(outcome, policy) as T;
      });
    }
    const loads = policy.load ?? this.loadDefaults;
    const outcome = loads.guarded
      ? this.cachedGuarded(key, load, policy, loads)
      : this.lookupOrLoad(key, load, policy);
    if (!isPromiseLike(outcome)) {
      policy.onResult?.(outcome.result ?? 'hit', outcome.tier);
      return outcome.value as T;
    }
    return this.flights.track(key, outcome, (first) => {
      policy.onResult?.(first.result ?? 'hit', first.tier);
      return first.value as T;
    });
  }

  private lookupOrLoad<T>(
    key: string,
    load: () => MaybePromise<T>,
    policy: WritePolicy,
  ): MaybePromise<Outcome> {
    const found = this.lookup(key, policy);
    if (isPromiseLike<ReadResult>(found)) {
      return found.then((read) => (read.hit ? read : this.loadAndStore(key, load, policy)));
    }
    return found.hit ? found : this.loadAndStore(key, load, policy);
  }

  /** A caller that joined a read or load under way counts as its own hit, miss or stale value. */
  private joined(outcome: Outcome, policy: WritePolicy): void {
    const result = outcome.result ?? 'hit';
    if (result === 'hit') this.counters.hits++;
    else if (result === 'miss') this.counters.misses++;
    else this.guarded.counts.staleHits++;
    policy.onResult?.(result, outcome.tier);
  }

  /** `cached` under grace, loader timeouts, refresh ahead or the distributed lock. */
  private cachedGuarded(
    key: string,
    load: () => MaybePromise<unknown>,
    policy: WritePolicy,
    loads: LoadPolicy,
  ): MaybePromise<Outcome> {
    return chain(this.lookup(key, policy, loads.graceMs > 0), (found): MaybePromise<Outcome> => {
      if (!found.hit) return this.guarded.load(key, load, policy, loads, found.stale);
      if (loads.refreshAhead !== undefined) {
        this.guarded.refreshIfDue(key, found.stamp, load, policy, loads);
      }
      return found;
    });
  }

  /** The entry, handed out as `policy` asks (`type`, `clone`); corrupt or outdated: a miss. */
  read(key: string, policy: ReadPolicy = AS_CONFIGURED): MaybePromise<ReadResult> {
    const channel = cacheChannels.get;
    if (!channel.hasSubscribers) return this.lookup(key, policy);
    return traced(channel, this.context('get', key), () => this.lookup(key, policy), noteRead);
  }

  /**
   * `read` without its events, for the client's own reads.
   * @param allowStale An expired entry still within grace comes back as the miss's `stale`, for
   *   a load to fall back on.
   */
  lookup(
    key: string,
    policy: ReadPolicy = AS_CONFIGURED,
    allowStale = false,
  ): MaybePromise<ReadResult> {
    const l1 = this.tiers?.l1;
    if (!l1) {
      const stored = this.store.get(storeKey(key));
      if (!isPromiseLike<string | undefined>(stored)) {
        return this.accept(key, stored, policy, undefined, allowStale);
      }
      return stored.then((text) => this.accept(key, text, policy, undefined, allowStale));
    }
    const entry = l1.get(key);
    if (entry) return this.l1Hit(key, entry, policy, allowStale);
    const token = l1.begin();
    return chain(this.store.get(storeKey(key)), (stored) =>
      this.accept(key, stored, policy, token, allowStale),
    );
  }

  write(key: string, value: unknown, policy: WritePolicy): MaybePromise<boolean> {
    const channel = cacheChannels.set;
    if (!channel.hasSubscribers) return this.writeOne(key, value, policy);
    const context = this.context('set', key, undefined, policy.method);
    return traced(channel, context, () => this.writeOne(key, value, policy));
  }

  private writeOne(key: string, value: unknown, policy: WritePolicy): MaybePromise<boolean> {
    const token = this.tiers?.l1.beginWrite(key);
    const written = this.writeWith(key, value, policy, this.tagSnapshot(policy), { token });
    return this.tiers ? chain(written, (ok) => this.announceWrite(key, ok, true)) : written;
  }

  /** Logs (once per burst) and counts a failure met above the store. */
  report(operation: string, error: unknown): void {
    this.store.report(operation, error);
  }

  /** Deletes keys, then invalidates tags; never throws. */
  evict(
    keys: readonly string[],
    tags: readonly string[] = [],
    method?: string,
  ): MaybePromise<void> {
    const channel = cacheChannels.evict;
    if (!channel.hasSubscribers) return this.evictNow(keys, tags);
    const context = this.context('evict', undefined, [...keys, ...tags], method);
    return traced(channel, context, () => this.evictNow(keys, tags));
  }

  private evictNow(keys: readonly string[], tags: readonly string[]): MaybePromise<void> {
    this.counters.deletes += keys.length;
    const deleted =
      keys.length === 1
        ? this.store.delete(storeKey(keys[0]))
        : this.store.deleteMany(storeKeys(keys));
    return chain(deleted, () =>
      chain(tags.length ? this.tags.invalidate(tags) : true, () =>
        this.tiers?.dropEverywhere({ keys: [...keys], tags: [...tags] }),
      ),
    );
  }

  /**
   * Runs `load` and stores its value. `keepL1Copy`: a refresh ahead of expiry, which leaves the
   * current L1 copy in place until the new entry lands.
   */
  loadAndStore<T>(
    key: string,
    load: () => MaybePromise<T>,
    policy: WritePolicy,
    keepL1Copy = false,
  ): MaybePromise<Outcome> {
    const l1 = this.tiers?.l1;
    const token = l1 && (keepL1Copy ? l1.begin() : l1.beginWrite(key));
    // Tag versions are read before the loader runs: an invalidation that lands while it runs
    // leaves this entry already outdated instead of caching data read before the invalidation.
    const versions = this.tagSnapshot(policy);
    if (isPromiseLike(versions)) versions.then(undefined, () => undefined);
    const started = performance.now();
    // Only the loader's own failure: the write after it never throws (the safe store answers).
    const failed = (error: unknown): never => {
      policy.onLoad?.(performance.now() - started, true);
      throw error;
    };
    return chain(
      load,
      (value) => {
        const outcome: Outcome = { value, result: 'miss' };
        const loadMs = performance.now() - started;
        policy.onLoad?.(loadMs, false);
        const written = this.writeWith(key, value, policy, versions, { outcome, token, loadMs });
        return chain(written, (ok) => {
          // Not awaited: a fill after a miss is not an update the caller must see announced.
          if (this.tiers) void this.announceWrite(key, ok, false);
          return outcome;
        });
      },
      policy.onLoad && failed,
    );
  }

  /** The current versions of the policy's tags: from L1 when it knows them all, else the store. */
  private tagSnapshot(policy: WritePolicy): MaybePromise<TagVersions | undefined> | undefined {
    if (!policy.tags) return undefined;
    return this.tiers?.l1.currentTags(policy.tags) ?? this.tags.snapshot(policy.tags);
  }

  /** Tells the other app servers that `key` changed, if anything was sent to the store. */
  private announceWrite(key: string, written: boolean, attempted: boolean): MaybePromise<boolean> {
    if (!written && !attempted) return written;
    return this.tiers!.announce({ keys: [key] }).then(() => written);
  }

  /** Stores the value; with `outcome`, records there the entry text joiners decode copies from. */
  private writeWith(
    key: string,
    value: unknown,
    policy: WritePolicy,
    versions: MaybePromise<TagVersions | undefined> | undefined,
    context: WriteContext = {},
  ): MaybePromise<boolean> {
    if (value === undefined || policy.shouldStore?.(value) === false) return false;
    if (!policy.tags) return this.encodeAndPut(key, value, policy, context);
    return chain(versions, (current) =>
      current ? this.encodeAndPut(key, value, policy, context, current) : false,
    );
  }

  /** Encodes the entry (tagged with `tags`) and stores it, unless the store would refuse it. */
  private encodeAndPut(
    key: string,
    value: unknown,
    policy: WritePolicy,
    context: WriteContext,
    tags?: TagVersions,
  ): MaybePromise<boolean> {
    // Joiners of the load then encode their copies' source themselves (`ValueReader`).
    if (this.store.refusesWriteOf(storeKey(key))) return this.refused(key, context);
    const serialized = this.serialize(key, value, policy.type);
    const untagged = serialized === undefined ? null : this.codec.wrap(serialized);
    if (context.outcome) context.outcome.stored = untagged;
    if (untagged === null) return false;
    const entry = tags ? this.codec.wrap(serialized!, tags) : untagged;
    return this.put(key, entry, policy, context);
  }

  /** Kept in the store for the TTL plus the grace; the stamp says when it stops being fresh. */
  private put(
    key: string,
    entry: string,
    policy: WritePolicy,
    { token, loadMs }: WriteContext,
  ): MaybePromise<boolean> {
    const { ttlMs } = policy;
    const loads = policy.load ?? this.loadDefaults;
    const keptMs = ttlMs === undefined ? undefined : ttlMs + loads.graceMs;
    const stored = this.stamped(entry, ttlMs, loads, loadMs);
    const sealed = this.envelope ? this.envelope.seal(key, stored) : stored;
    const sent = this.fits(key, sealed)
      ? this.store.set(storeKey(key), sealed, keptMs)
      : chain(this.store.delete(storeKey(key)), () => false);
    return chain(sent, (written) => {
      if (written) this.counters.sets++;
      if (token !== undefined) this.keepWritten(key, stored, keptMs, token, written);
      return written;
    });
  }

  /** A write the store refuses before any command: as a failed one, L1 drops its copy. */
  private refused(key: string, { token }: WriteContext): false {
    if (token !== undefined) this.tiers!.l1.delete([key]);
    return false;
  }

  /** After a write to the store: L1 keeps the entry when the store took it, else drops its copy. */
  private keepWritten(
    key: string,
    stored: string,
    ttlMs: number | undefined,
    token: FillToken,
    written: boolean,
  ): void {
    const l1 = this.tiers!.l1;
    if (!written) return l1.delete([key]);
    let entry;
    try {
      entry = new DecodedValue(this.codec, stored);
    } catch {
      return l1.delete([key]);
    }
    l1.commitWrite(key, entry, token, ttlMs);
  }

  /**
   * An entry with a TTL says when it expires: in a shared store always (for every server's L1),
   * in memory when grace or refresh ahead need to know.
   */
  private stamped(
    entry: string,
    ttlMs: number | undefined,
    loads: LoadPolicy = this.loadDefaults,
    loadMs?: number,
  ): string {
    if (ttlMs === undefined) return entry;
    const { graceMs, refreshAhead } = loads;
    if (this.store.synchronous && graceMs === 0 && refreshAhead === undefined) return entry;
    return this.codec.stamp(entry, { expiresAt: Date.now() + ttlMs, ttlMs, graceMs, loadMs });
  }

  /**
   * Whether the entry is within `maxValueSize` (UTF-8 bytes); a bigger one is reported and never
   * sent. Counted only for a text long enough to be over it (a code unit is at most 3 bytes).
   */
  private fits(key: string, entry: string): boolean {
    const limit = this.maxValueSize;
    if (entry.length * 3 <= limit) return true;
    const size = Buffer.byteLength(entry);
    if (size <= limit) return true;
    this.store.report(`set "${key}"`, new CacheValueTooLargeError(size, limit));
    return false;
  }

  private encode(key: string, value: unknown, ttlMs: number | undefined): string | undefined {
    if (value === undefined) return undefined;
    const serialized = this.serialize(key, value);
    return serialized === undefined ? undefined : this.stamped(this.codec.wrap(serialized), ttlMs);
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

  /**
   * Decodes what the store answered; a corrupt entry is a miss and is removed. With L1 (`token`
   * from `l1.begin()` before the read was sent), an entry proved current is kept there too.
   */
  private accept(
    key: string,
    stored: string | undefined,
    policy: ReadPolicy = AS_CONFIGURED,
    token?: FillToken,
    allowStale = false,
  ): MaybePromise<ReadResult> {
    if (stored === undefined) return this.miss();
    if (this.envelope) {
      const opened = this.envelope.open(key, stored);
      if (opened instanceof Unopened) return this.unopened(key, opened);
      stored = opened;
    }
    if (token !== undefined) return this.acceptIntoL1(key, stored, policy, token, allowStale);
    let decoded;
    try {
      decoded = this.values.decode(stored, policy);
    } catch (error) {
      return this.corrupt(key, error);
    }
    const { value, tags, stamp } = decoded;
    const found: Hit = { hit: true, value, stored, stamp, tier: 'l2' };
    if (!tags) return this.fresh(found, allowStale);
    return chain(this.tags.isCurrent(tags), (current) =>
      current ? this.fresh(found, allowStale) : this.miss(),
    );
  }

  /** A current entry is a hit while fresh; expired (within grace), a miss that carries it. */
  private fresh(found: Hit, allowStale: boolean): ReadResult {
    if (found.stamp === undefined) return this.hit(found);
    const now = Date.now();
    if (!isExpired(found.stamp, now)) return this.hit(found);
    this.counters.misses++;
    // Memcached keeps an entry up to a second longer than asked: past its grace it is gone.
    return allowStale && keptUntil(found.stamp!) > now ? { hit: false, stale: found } : MISS;
  }

  /** Tag versions L1 knows are checked there; only the others cost a round trip. */
  private acceptIntoL1(
    key: string,
    stored: string,
    policy: ReadPolicy,
    token: FillToken,
    allowStale: boolean,
  ): MaybePromise<ReadResult> {
    const l1 = this.tiers!.l1;
    let entry: DecodedValue;
    let value: unknown;
    try {
      entry = new DecodedValue(this.codec, stored);
      value = entry.read(policy.type, policy.clone ?? this.clone);
    } catch (error) {
      return this.corrupt(key, error);
    }
    const found = () => {
      const remainingMs = entry.stamp && keptUntil(entry.stamp) - Date.now();
      if (remainingMs === undefined || remainingMs > 0) l1.fill(key, entry, token, remainingMs);
      return this.fresh({ hit: true, value, entry, stamp: entry.stamp, tier: 'l2' }, allowStale);
    };
    if (!entry.tags || l1.isCurrent(entry.tags)) return found();
    return chain(this.tags.isCurrent(entry.tags), (current) => (current ? found() : this.miss()));
  }

  private l1Hit(
    key: string,
    entry: DecodedValue,
    policy: ReadPolicy,
    allowStale = false,
  ): ReadResult {
    // L1 keeps an entry no longer than the store does: only one kept for grace can be expired.
    const expired = !!entry.stamp?.graceMs && isExpired(entry.stamp, Date.now());
    if (expired && !allowStale) return this.miss();
    let value;
    try {
      value = entry.read(policy.type, policy.clone ?? this.clone);
    } catch (error) {
      // Held but not of the data `type` asks for: as for a store entry, report it and miss.
      this.store.report(`decode "${key}"`, error);
      this.tiers!.l1.delete([key]);
      return this.miss();
    }
    const found: Hit = { hit: true, value, entry, stamp: entry.stamp, tier: 'l1' };
    if (expired) return this.fresh(found, true);
    this.counters.l1Hits++;
    return this.hit(found);
  }

  /**
   * An entry the envelope cannot open is a miss and is removed; sealed under a key no longer
   * listed is expected after a rotation and not reported, anything else is.
   */
  private unopened(key: string, { reason }: Unopened): MaybePromise<ReadResult> {
    if (reason === 'unknown key') return chain(this.store.delete(storeKey(key)), () => this.miss());
    const error = new CacheError(
      'E_CACHE_CORRUPTED_ENTRY',
      `The entry of "${key}" cannot be opened (${reason}); it was removed. With encryption on, only entries this cache sealed are read.`,
    );
    return this.corrupt(key, error);
  }

  private corrupt(key: string, error: unknown): MaybePromise<ReadResult> {
    this.store.report(`decode "${key}"`, error);
    return chain(this.store.delete(storeKey(key)), () => this.miss());
  }

  private hit(found: Hit): Hit {
    this.counters.hits++;
    return found;
  }

  private miss(): ReadResult {
    this.counters.misses++;
    return MISS;
  }
}

/** What a read's events record: how the value was found, and which tier answered. */
function noteRead(context: CacheOperationContext, found: ReadResult): void {
  context.result = found.hit ? 'hit' : 'miss';
  if (found.hit) context.tier = found.tier;
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
