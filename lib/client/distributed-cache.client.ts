// Imported: the global `performance` is a getter, read on every use (Node 20).
import { performance } from 'node:perf_hooks';
import { CacheClient } from '../cache-client.js';
import { CacheError } from '../errors.js';
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
import { EntryCodec, type TagVersions } from '../serialization/entry-codec.js';
import type { ValueEnvelope } from '../serialization/value-envelope.js';
import { DistributedLock } from '../resilience/distributed-lock.js';
import { FailureLog } from '../resilience/failure-log.js';
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
import { chain, isPromiseLike, type MaybePromise } from '../utils/maybe-promise.js';
import { toTtlMs } from '../utils/ttl.js';
import type { TwoTiers } from '../tiers/two-tiers.js';
import type { SafeStore } from './safe-store.js';
import { storeKey, storeKeys } from './key-space.js';
import { SingleFlight } from './single-flight.js';
import { TagVersionRegistry } from './tag-versions.js';
import { newCounters } from './client-counters.js';
import {
  EntryReads,
  NOTHING_READ,
  NotAtOnce,
  type FirstRead,
  type ReadResult,
} from './entry-reads.js';
import { EntryWrites } from './entry-writes.js';
import {
  AS_CONFIGURED,
  readPolicy,
  ValueReader,
  type Outcome,
  type ReadPolicy,
} from './value-reader.js';

export type { ReadPolicy };
export type { FirstRead, Hit, ReadResult } from './entry-reads.js';

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
 * All cache policy, written once above the store drivers: keys, TTLs, serialization, tags,
 * single-flight loading, stats. Methods return synchronously when the store does (memory), which
 * keeps a sync `@Cacheable` method sync; the public API always answers with a Promise.
 */
export class DistributedCacheClient extends CacheClient implements CacheCallTarget {
  readonly [CACHE_CALL_TARGET] = true;
  private readonly counters = newCounters();
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
  private readonly reads: EntryReads;
  private readonly writes: EntryWrites;
  private readonly tiers?: TwoTiers;
  /** Hits can be answered before cache-aside's steps: entries held decoded, in this process. */
  readonly hitsAtOnce: boolean;
  /**
   * @param memo On the in-process store: decoded entries, copied out on each hit instead of
   *   parsed again.
   */
  constructor(
    private readonly store: SafeStore,
    codec: EntryCodec,
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
    this.tiers = tiers;
    this.hitsAtOnce = !!tiers || (store.synchronous && memo !== undefined && !this.envelope);
    this.loadDefaults = loads ?? DEFAULT_LOAD_POLICY;
    const lock = store.locks ? new DistributedLock(store, tiers) : undefined;
    const log = loaderLog ?? new FailureLog(new Logger('CacheClient'));
    this.guarded = new GuardedLoads(this, lock, log);
    this.untrack = trackCache(this);
    this.tags = new TagVersionRegistry(more.tagVersions ?? store);
    this.values = new ValueReader(codec, memo, clone, (operation, error) =>
      store.report(operation, error),
    );
    this.reads = new EntryReads({
      store,
      codec,
      values: this.values,
      tags: this.tags,
      counters: this.counters,
      clone,
      tiers,
      envelope: this.envelope,
    });
    this.writes = new EntryWrites({
      store,
      codec,
      counters: this.counters,
      loadDefaults: this.loadDefaults,
      maxValueSize: more.maxValueSize ?? CACHE_DEFAULTS.maxValueSize,
      tiers,
      envelope: this.envelope,
    });
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
    if (!channel.hasSubscribers) return this.reads.readMany<T>(keys);
    const context = this.context('getMany', undefined, keys);
    return traced(channel, context, () => this.reads.readMany<T>(keys));
  }

  async setMany(entries: readonly CacheEntry[]): Promise<boolean> {
    const channel = cacheChannels.setMany;
    if (!channel.hasSubscribers) return this.writeMany(entries);
    const keys = entries.map(({ key }) => key);
    return traced(channel, this.context('setMany', undefined, keys), () => this.writeMany(entries));
  }

  private async writeMany(entries: readonly CacheEntry[]): Promise<boolean> {
    const { encoded, tooLarge } = this.writes.encodeMany(
      entries.map(({ key, value, ttl }) => ({
        key: checkKey(key),
        value,
        ttlMs: this.ttlMsOf(ttl, `setMany() "${key}"`),
      })),
    );
    if (tooLarge.length) await this.deleteAll(tooLarge);
    const written = await this.writes.putMany(encoded);
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
  cached<T>(
    key: string,
    load: () => MaybePromise<T>,
    policy: WritePolicy,
    read?: FirstRead,
  ): MaybePromise<T> {
    const channel = cacheChannels.getOrSet;
    if (!channel.hasSubscribers) return this.cacheAside(key, load, policy, read);
    const context = this.context('getOrSet', key, undefined, policy.method);
    const observed: WritePolicy = {
      ...policy,
      onResult: (result, tier) => {
        context.result = result;
        if (tier) context.tier = tier;
        policy.onResult?.(result, tier);
      },
    };
    return traced(channel, context, () => this.cacheAside(key, load, observed, read));
  }

  /**
   * A decorated call's hit answered before any step of cache-aside, from L1 or the in-process
   * store (`EntryReads.atOnce`), counted as `cached` counts a hit. Anything else is a `NotAtOnce`
   * carrying what was read, for `cached` to go on from; nothing is read while a load of the key
   * is under way or when events are to be published. Which calls may ask is the plan's to say
   * (`hitAtOnceOf`: this cache `hitsAtOnce`, no `refreshAhead`).
   * @returns The value, or a `NotAtOnce`.
   */
  hitAtOnce(key: string, policy: WritePolicy): unknown {
    if (this.flights.runs(key) || cacheChannels.getOrSet.hasSubscribers) return NOTHING_READ;
    const value = this.reads.atOnce(key, policy);
    if (!(value instanceof NotAtOnce)) policy.onResult?.('hit', this.tiers ? 'l1' : 'l2');
    return value;
  }

  private cacheAside<T>(
    key: string,
    load: () => MaybePromise<T>,
    policy: WritePolicy,
    read: FirstRead | undefined,
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
      ? this.cachedGuarded(key, load, policy, loads, read)
      : this.lookupOrLoad(key, load, policy, read);
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
    read: FirstRead | undefined,
  ): MaybePromise<Outcome> {
    const found = this.reads.lookup(key, policy, false, read);
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
    read: FirstRead | undefined,
  ): MaybePromise<Outcome> {
    const allowStale = loads.graceMs > 0;
    return chain(
      this.reads.lookup(key, policy, allowStale, read),
      (found): MaybePromise<Outcome> => {
        if (!found.hit) return this.guarded.load(key, load, policy, loads, found.stale);
        if (loads.refreshAhead !== undefined) {
          this.guarded.refreshIfDue(key, found.stamp, load, policy, loads);
        }
        return found;
      },
    );
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
    return this.reads.lookup(key, policy, allowStale);
  }

  write(key: string, value: unknown, policy: WritePolicy): MaybePromise<boolean> {
    const channel = cacheChannels.set;
    if (!channel.hasSubscribers) return this.writeOne(key, value, policy);
    const context = this.context('set', key, undefined, policy.method);
    return traced(channel, context, () => this.writeOne(key, value, policy));
  }

  private writeOne(key: string, value: unknown, policy: WritePolicy): MaybePromise<boolean> {
    const token = this.tiers?.l1.beginWrite(key);
    const written = this.writes.writeWith(key, value, policy, this.tagSnapshot(policy), { token });
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
        const written = this.writes.writeWith(key, value, policy, versions, {
          outcome,
          token,
          loadMs,
        });
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
