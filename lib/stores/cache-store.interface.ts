import type { MaybePromise } from '../utils/maybe-promise.js';

/** One server of a store, for `CacheClient.ping()`. */
export interface StoreNode {
  /** `host:port`, as the health report names it. */
  address: string;
  /** The address its circuit is kept under, when not `address` (Sentinel: `sentinel:<name>`). */
  circuit?: string;
  /** One round trip to this server alone (Redis `PING`, Memcached `NOOP`); rejects on failure. */
  ping(): Promise<unknown>;
}

export interface StoreEntry {
  key: string;
  value: string;
  /** Time to live in milliseconds; `undefined` means no expiry. */
  ttlMs?: number;
}

/**
 * The wire: strings in, strings out, nothing else. A store applies its own key prefix, answers
 * `undefined` for a miss and throws (or rejects) on any failure. Serialization, tags, TTL parsing,
 * error suppression, logging and stats live once above it, in the cache client.
 */
export interface CacheStore {
  /** `memory`, `redis` or `memcached`: used in logs and stats. */
  readonly name: string;
  /**
   * Whether single-key reads started in one tick should go out as one `getMany`: true for a store
   * across the network, where one round trip for many keys beats many round trips.
   */
  readonly batchesReads?: boolean;
  /**
   * Whether every method answers at once, never with a promise (an in-process store): a
   * synchronous decorated method can then be cached and stay synchronous.
   */
  readonly synchronous?: boolean;
  get(key: string): MaybePromise<string | undefined>;
  /** Values in key order, `undefined` for each miss. */
  getMany(keys: readonly string[]): MaybePromise<(string | undefined)[]>;
  set(key: string, value: string, ttlMs?: number): MaybePromise<void>;
  setMany(entries: readonly StoreEntry[]): MaybePromise<void>;
  /** `true` when the key existed. */
  delete(key: string): MaybePromise<boolean>;
  /** How many of the keys existed. */
  deleteMany(keys: readonly string[]): MaybePromise<number>;
  /**
   * Stores `value` only if `key` holds nothing; `true` when it was stored. With `deleteIfEquals`,
   * what `lock: 'distributed'` takes its lock with; a store without them loads once per process.
   */
  add?(key: string, value: string, ttlMs: number): MaybePromise<boolean>;
  /** Deletes `key` only if it holds `value` (a lock still ours); `true` when it did. */
  deleteIfEquals?(key: string, value: string): MaybePromise<boolean>;
  /** Removes every key under this store's prefix, and nothing else on the server. */
  clear(): MaybePromise<void>;
  /**
   * Given, once, where to report a failure the store answered around instead of rejecting (one
   * server of a pool failing part of a `getMany`), so that it is logged and counted all the same.
   */
  onFailure?(report: (operation: string, error: unknown) => void): void;
  /**
   * Another app server cleared this cache (heard on the invalidation bus): forget whatever assumes
   * it was not (Memcached: the namespace version, read again before the next command).
   */
  clearedElsewhere?(): void;
  /**
   * The address of the server that holds `key` now (`host:port`): the master owning its slot on a
   * Redis Cluster, its ring member in a Memcached pool, the one server otherwise. The circuit
   * breaker keeps one circuit per address; `undefined` when the store cannot tell yet.
   */
  nodeOf?(key: string): string | undefined;
  /**
   * The failure as an error that says what to change (a refused TLS handshake, password or ACL
   * permission), or `undefined` when the store has nothing to add. Called only to log a failure.
   */
  explainFailure?(error: unknown): Error | undefined;
  /**
   * The servers `CacheClient.ping()` reports, each pinged on its own: every master of a Redis
   * Cluster, every server of a Memcached pool, the one server otherwise. Without it, `ping()`
   * reports one node, named after the store, that answers when a `get` does.
   */
  nodes?(): MaybePromise<StoreNode[]>;
  /** Resolves once the store can serve (or gave up waiting); never rejects. */
  ready?(): Promise<void>;
  /** Closes every connection the store opened (not one handed in by the user). */
  close(): Promise<void>;
}
