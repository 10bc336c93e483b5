import { CacheError, CacheValueTooLargeError } from '../errors.js';
import type { LoadPolicy } from '../resilience/load-policy.js';
import { DecodedValue } from '../serialization/decoded-value.js';
import type { EntryCodec, TagVersions } from '../serialization/entry-codec.js';
import type { ValueEnvelope } from '../serialization/value-envelope.js';
import type { ValueType } from '../serialization/value-type.js';
import type { FillToken } from '../tiers/local-tier.js';
import type { TwoTiers } from '../tiers/two-tiers.js';
import { chain, type MaybePromise } from '../utils/maybe-promise.js';
import type { ClientCounters } from './client-counters.js';
import type { WritePolicy } from './distributed-cache.client.js';
import { storeKey } from './key-space.js';
import type { SafeStore } from './safe-store.js';
import type { Outcome } from './value-reader.js';

/** An entry of `setMany`, its key checked and its TTL in milliseconds. */
export interface EntryToWrite {
  key: string;
  value: unknown;
  ttlMs: number | undefined;
}

/** An entry of `setMany` ready to send: its text, the same sealed, and how long it is kept. */
export interface EncodedEntry {
  key: string;
  value: string;
  sealed: string;
  ttlMs: number | undefined;
}

/** What a write is told besides its policy. */
export interface WriteContext {
  /** Where joiners of the load find the entry's text. */
  outcome?: Outcome;
  /** From `l1.beginWrite` (or `l1.begin` for a refresh that keeps the L1 copy meanwhile). */
  token?: FillToken;
  /** How long the loader took, recorded in the entry for probabilistic refresh. */
  loadMs?: number;
}

/** What the write side of a client works with. */
export interface EntryWritesSettings {
  store: SafeStore;
  codec: EntryCodec;
  counters: ClientCounters;
  /** The module's grace and refresh ahead, for writes whose policy does not say. */
  loadDefaults: LoadPolicy;
  /** Largest entry stored, in bytes (UTF-8). */
  maxValueSize: number;
  tiers?: TwoTiers;
  envelope?: ValueEnvelope;
}

/**
 * The write side of the client: a value serialized, tagged, stamped with its expiry, sealed and
 * sent to the store (unless the store would refuse it or it is over `maxValueSize`), then kept in
 * L1 when the store took it.
 */
export class EntryWrites {
  private readonly store: SafeStore;
  private readonly codec: EntryCodec;
  private readonly counters: ClientCounters;
  private readonly loadDefaults: LoadPolicy;
  private readonly maxValueSize: number;
  private readonly tiers?: TwoTiers;
  private readonly envelope?: ValueEnvelope;

  constructor(settings: EntryWritesSettings) {
    this.store = settings.store;
    this.codec = settings.codec;
    this.counters = settings.counters;
    this.loadDefaults = settings.loadDefaults;
    this.maxValueSize = settings.maxValueSize;
    this.tiers = settings.tiers;
    this.envelope = settings.envelope;
  }

  /** Stores the value; with `outcome`, records there the entry text joiners decode copies from. */
  writeWith(
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
  keepWritten(
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
  fits(key: string, entry: string): boolean {
    const limit = this.maxValueSize;
    if (entry.length * 3 <= limit) return true;
    const size = Buffer.byteLength(entry);
    if (size <= limit) return true;
    this.store.report(`set "${key}"`, new CacheValueTooLargeError(size, limit));
    return false;
  }

  /**
   * The entries of `setMany`, encoded and sealed, kept for their TTL plus the module's grace; left
   * out: values that are `undefined` or cannot be serialized, and those over `maxValueSize`
   * (listed in `tooLarge`).
   */
  encodeMany(entries: readonly EntryToWrite[]): { encoded: EncodedEntry[]; tooLarge: string[] } {
    const tooLarge: string[] = [];
    const encoded = entries.flatMap(({ key, value, ttlMs }) => {
      const stored = this.encode(key, value, ttlMs);
      if (stored === undefined) return [];
      const sealed = this.envelope ? this.envelope.seal(key, stored) : stored;
      if (!this.fits(key, sealed)) {
        tooLarge.push(key);
        return [];
      }
      const keptMs = ttlMs === undefined ? undefined : ttlMs + this.loadDefaults.graceMs;
      return [{ key, value: stored, sealed, ttlMs: keptMs }];
    });
    return { encoded, tooLarge };
  }

  /** Stores encoded entries in one multi-write; L1 keeps them, and the other servers are told. */
  async putMany(encoded: readonly EncodedEntry[]): Promise<boolean> {
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
    return written;
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
}
