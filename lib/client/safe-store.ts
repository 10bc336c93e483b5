import type { CacheStore, StoreEntry } from '../stores/cache-store.interface.js';
import type { FailureLog } from '../resilience/failure-log.js';
import { isTimeout, withReadRetry } from '../resilience/read-retry.js';
import { chain, type MaybePromise } from '../utils/maybe-promise.js';
import { ReadCoalescer } from './read-coalescer.js';

export interface SafeStoreOptions {
  readRetries: number;
  commandTimeout: number;
}

type ReadOperation = 'get' | 'getMany';

/** How long after a timed-out command writes are skipped, in command timeouts. */
const HUNG_WINDOW_IN_TIMEOUTS = 4;

/**
 * The store as the client sees it: a failure never escapes. It is logged once per burst, counted,
 * and answered with the neutral value (a miss, `false`, `0`). Reads that fail fast are retried.
 * After a command timed out, writes are skipped for a moment (answered `false` at once): a miss
 * on a hung server then costs one command timeout, not a read's plus a write's. Deletes are
 * always sent, since an eviction matters more than the wait.
 */
export class SafeStore {
  errors = 0;
  private skipWritesUntil = 0;
  /** On Redis and Memcached: reads that come in numbers go out as one multi-key read a tick. */
  private readonly coalescer?: ReadCoalescer;

  constructor(
    readonly store: CacheStore,
    private readonly failures: FailureLog,
    private readonly options: SafeStoreOptions,
  ) {
    if (store.batchesReads) {
      this.coalescer = new ReadCoalescer({
        one: (key) => this.read('get', () => store.get(key)),
        many: (keys) => this.readBatch(keys),
      });
    }
  }

  get name(): string {
    return this.store.name;
  }

  /** Whether the store answers at once, never with a promise (the memory store). */
  get synchronous(): boolean {
    return this.store.synchronous === true;
  }

  get(key: string): MaybePromise<string | undefined> {
    if (this.coalescer) return this.coalescer.get(key);
    return this.read('get', () => this.store.get(key));
  }

  /** Values in key order, or `undefined` when the store could not answer at all. */
  getMany(keys: readonly string[]): MaybePromise<(string | undefined)[] | undefined> {
    return this.read('getMany', () => this.store.getMany(keys));
  }

  set(key: string, value: string, ttlMs: number | undefined): MaybePromise<boolean> {
    if (this.serverLooksHung()) return false;
    return this.guard('set', () => chain(this.store.set(key, value, ttlMs), () => true), false);
  }

  setMany(entries: readonly StoreEntry[]): MaybePromise<boolean> {
    if (entries.length === 0) return true;
    if (this.serverLooksHung()) return false;
    return this.guard('setMany', () => chain(this.store.setMany(entries), () => true), false);
  }

  delete(key: string): MaybePromise<boolean> {
    return this.guard('delete', () => this.store.delete(key), false);
  }

  deleteMany(keys: readonly string[]): MaybePromise<number> {
    if (keys.length === 0) return 0;
    return this.guard('deleteMany', () => this.store.deleteMany(keys), 0);
  }

  /** Whether the store can take a lock (`add` and `deleteIfEquals`) shared by every app server. */
  get locks(): boolean {
    return !this.synchronous && !!this.store.add && !!this.store.deleteIfEquals;
  }

  /** `true`: stored; `false`: the key holds something; `undefined`: the store could not answer. */
  add(key: string, value: string, ttlMs: number): MaybePromise<boolean | undefined> {
    if (this.serverLooksHung()) return undefined;
    return this.guard('add', () => this.store.add!(key, value, ttlMs), undefined);
  }

  deleteIfEquals(key: string, value: string): MaybePromise<boolean> {
    return this.guard('deleteIfEquals', () => this.store.deleteIfEquals!(key, value), false);
  }

  clear(): MaybePromise<boolean> {
    return this.guard('clear', () => chain(this.store.clear(), () => true), false);
  }

  /**
   * Single-key reads sent together: retried as one read; when it fails, each read counts as one
   * failed `get` (as if sent alone) and answers a miss.
   */
  private readBatch(keys: readonly string[]): MaybePromise<(string | undefined)[]> {
    const { readRetries, commandTimeout } = this.options;
    return withReadRetry(
      () => this.store.getMany(keys),
      readRetries,
      commandTimeout,
      (error) =>
        keys.map(() => {
          this.report(`${this.store.name} get`, error);
          return undefined;
        }),
    );
  }

  /** Logs and counts a failure that happened above the store (serialization, decoding). */
  report(operation: string, error: unknown): void {
    this.errors++;
    this.failures.report(operation, error);
    if (isTimeout(error)) {
      this.skipWritesUntil = Date.now() + HUNG_WINDOW_IN_TIMEOUTS * this.options.commandTimeout;
    }
  }

  private serverLooksHung(): boolean {
    return this.skipWritesUntil !== 0 && Date.now() < this.skipWritesUntil;
  }

  /** A read, retried when it fails fast; a last failure is reported and answered `undefined`. */
  private read<T>(
    operation: ReadOperation,
    run: () => MaybePromise<T>,
  ): MaybePromise<T | undefined> {
    const { readRetries, commandTimeout } = this.options;
    return withReadRetry(run, readRetries, commandTimeout, this.missOnFailure[operation]);
  }

  /** Made once, not on every read: report the last failure of a read, answer a miss. */
  private readonly missOnFailure = {
    get: (error: unknown) => this.reportMiss('get', error),
    getMany: (error: unknown) => this.reportMiss('getMany', error),
  };

  private reportMiss(operation: ReadOperation, error: unknown): undefined {
    this.report(`${this.store.name} ${operation}`, error);
    return undefined;
  }

  private guard<T, F>(
    operation: string,
    run: () => MaybePromise<T>,
    fallback: F,
  ): MaybePromise<T | F> {
    return chain<T, T | F>(
      run,
      (value) => value,
      (error) => {
        this.report(`${this.store.name} ${operation}`, error);
        return fallback;
      },
    );
  }
}
