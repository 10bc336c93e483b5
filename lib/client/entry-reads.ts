import { isExpired } from '../resilience/freshness.js';
import { CacheError } from '../errors.js';
import { DecodedValue } from '../serialization/decoded-value.js';
import type { EntryCodec } from '../serialization/entry-codec.js';
import { keptUntil, type EntryStamp } from '../serialization/entry-stamp.js';
import { Unopened, type ValueEnvelope } from '../serialization/value-envelope.js';
import type { FillToken } from '../tiers/local-tier.js';
import type { TwoTiers } from '../tiers/two-tiers.js';
import { chain, isPromiseLike, type MaybePromise } from '../utils/maybe-promise.js';
import type { ClientCounters } from './client-counters.js';
import { storeKey, storeKeys } from './key-space.js';
import type { SafeStore } from './safe-store.js';
import type { TagVersionRegistry } from './tag-versions.js';
import { AS_CONFIGURED, type ReadPolicy, type ValueReader } from './value-reader.js';

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

const MISS: ReadResult = { hit: false };

/**
 * What `atOnce` read and could not hand out, handed on to `lookup` so that nothing is read twice:
 * L1's answer (with L1), or the store's (a store that answers at once).
 */
export type FirstRead =
  { readonly l1: DecodedValue | undefined } | { readonly stored: string | undefined };

/** `atOnce`'s answer when it has no value to hand out, with what it read. */
export class NotAtOnce {
  constructor(readonly read?: FirstRead) {}
}

/** Nothing read: the call goes through `lookup` as it is. */
export const NOTHING_READ = new NotAtOnce();

/** What the read side of a client works with. */
export interface EntryReadsSettings {
  store: SafeStore;
  codec: EntryCodec;
  values: ValueReader;
  tags: TagVersionRegistry;
  counters: ClientCounters;
  /** The cache's `clone` setting, for reads that do not say. */
  clone: boolean;
  tiers?: TwoTiers;
  envelope?: ValueEnvelope;
}

/**
 * The read side of the client: an entry from L1 or the store, opened, decoded and handed out as
 * the read asks; a corrupt entry is removed, an outdated (tags) or expired one is a miss; hits and
 * misses are counted.
 */
export class EntryReads {
  private readonly store: SafeStore;
  private readonly codec: EntryCodec;
  private readonly values: ValueReader;
  private readonly tags: TagVersionRegistry;
  private readonly counters: ClientCounters;
  private readonly clone: boolean;
  private readonly tiers?: TwoTiers;
  private readonly envelope?: ValueEnvelope;

  constructor(settings: EntryReadsSettings) {
    this.store = settings.store;
    this.codec = settings.codec;
    this.values = settings.values;
    this.tags = settings.tags;
    this.counters = settings.counters;
    this.clone = settings.clone;
    this.tiers = settings.tiers;
    this.envelope = settings.envelope;
  }

  /**
   * The entry of `key`, from L1 when it holds it, else from the store (and then kept in L1).
   * @param allowStale An expired entry still within grace comes back as the miss's `stale`, for
   *   a load to fall back on.
   * @param read What `atOnce` read already for this call.
   */
  lookup(
    key: string,
    policy: ReadPolicy = AS_CONFIGURED,
    allowStale = false,
    read?: FirstRead,
  ): MaybePromise<ReadResult> {
    const l1 = this.tiers?.l1;
    if (!l1) {
      const stored = read && 'stored' in read ? read.stored : this.store.get(storeKey(key));
      if (!isPromiseLike<string | undefined>(stored)) {
        return this.accept(key, stored, policy, undefined, allowStale);
      }
      return stored.then((text) => this.accept(key, text, policy, undefined, allowStale));
    }
    const entry = read && 'l1' in read ? read.l1 : l1.get(key);
    if (entry) return this.l1Hit(key, entry, policy, allowStale);
    const token = l1.begin();
    return chain(this.store.get(storeKey(key)), (stored) =>
      this.accept(key, stored, policy, token, allowStale),
    );
  }

  /**
   * Values of `keys` in key order (`undefined` for a miss): what L1 holds, the rest in one
   * multi-read of the store.
   */
  async readMany<T>(keys: readonly string[]): Promise<(T | undefined)[]> {
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

  /**
   * A hit answered at once, counted: an L1 entry (one kept for grace excepted), or, without L1, an
   * entry of a store that answers at once which the memo holds decoded and needs no check (no
   * tags, no stamp). Anything else is a `NotAtOnce` carrying what was read, for `lookup`.
   * @returns The value, or a `NotAtOnce`.
   */
  atOnce(key: string, policy: ReadPolicy): unknown {
    const l1 = this.tiers?.l1;
    if (l1) {
      const entry = l1.get(key);
      const value = entry && !entry.stamp?.graceMs ? this.readHeld(entry, policy) : undefined;
      if (value === undefined) return new NotAtOnce({ l1: entry });
      this.counters.l1Hits++;
      this.counters.hits++;
      return value;
    }
    const stored = this.store.get(storeKey(key));
    if (isPromiseLike(stored)) return NOTHING_READ;
    const value = stored === undefined ? undefined : this.settled(stored, policy);
    if (value === undefined) return new NotAtOnce({ stored });
    this.counters.hits++;
    return value;
  }

  /** `undefined` where the entry is not of the data `type` asks for: `lookup` reports it. */
  private readHeld(entry: DecodedValue, policy: ReadPolicy): unknown {
    try {
      return entry.read(policy.type, policy.clone ?? this.clone);
    } catch {
      return undefined;
    }
  }

  /** `undefined` where the memo does not hold the entry decoded, or it needs checking. */
  private settled(stored: string, policy: ReadPolicy): unknown {
    try {
      return this.values.settled(stored, policy);
    } catch {
      // Not of the data `type` asks for: `accept` decodes it again, and reports and removes it.
      return undefined;
    }
  }

  /**
   * Decodes what the store answered; a corrupt entry is a miss and is removed. With L1 (`token`
   * from `l1.begin()` before the read was sent), an entry proved current is kept there too.
   */
  accept(
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

  /** An entry L1 holds, as `policy` asks; expired (kept for grace), a miss unless `allowStale`. */
  l1Hit(key: string, entry: DecodedValue, policy: ReadPolicy, allowStale = false): ReadResult {
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
