import type { CachePing } from '../interfaces/cache-client.interface.js';
import type { CacheStore, StoreEntry } from '../stores/cache-store.interface.js';
import type { CircuitBreakerSettings, CircuitStats } from '../resilience/circuit-breaker.js';
import { CircuitBreakers } from '../resilience/circuit-breaker.js';
import { EvictionReplay, type ReplayStats } from '../resilience/eviction-replay.js';
import type { FailureLog } from '../resilience/failure-log.js';
import { NodeGuard, type NodeGroup } from '../resilience/node-guard.js';
import { isTimeout, withReadRetry } from '../resilience/read-retry.js';
import { ReplaySchedule } from '../resilience/replay-schedule.js';
import { chain, isPromiseLike, type MaybePromise } from '../utils/maybe-promise.js';
import { pingStore } from './node-ping.js';
import { ReadCoalescer } from './read-coalescer.js';

export interface SafeStoreOptions {
  readRetries: number;
  commandTimeout: number;
  /** `undefined`: no circuit breaker. */
  circuitBreaker?: CircuitBreakerSettings;
}

/** What the guard adds to `stats()`. */
export interface ResilienceStats {
  /** With a circuit breaker: each server that failed, its circuit and the openings. */
  circuit?: CircuitStats;
  /** Evictions waiting to be replayed, replayed, dropped. */
  replay?: ReplayStats;
}

type ReadOperation = 'get' | 'getMany';

/** How long after a timed-out command writes are skipped, in command timeouts. */
const HUNG_WINDOW_IN_TIMEOUTS = 4;
/** Most evictions (keys and tag versions) held for replay; past it they become one `clear()`. */
export const MAX_PENDING_EVICTIONS = 10_000;

/**
 * The store as the client sees it: a failure never escapes. It is logged once per burst, counted,
 * and answered with the neutral value (a miss, `false`, `0`). Reads that fail fast are retried.
 * After a command timed out, writes are skipped for a moment (answered `false` at once): a miss
 * on a hung server then costs one command timeout, not a read's plus a write's.
 *
 * An eviction (delete, new tag version, `clear()`) that fails is queued and replayed once the
 * store answers, before this process writes again; until then reads answer as if it had landed.
 * With a circuit breaker, a server that failed `failures` times in a row gets no command for
 * `breakFor`: its calls answer at once (misses, `false`; evictions are queued).
 */
export class SafeStore {
  errors = 0;
  private skipWritesUntil = 0;
  /** On Redis and Memcached: reads that come in numbers go out as one multi-key read a tick. */
  private readonly coalescer?: ReadCoalescer;
  private readonly guardian?: NodeGuard;
  private readonly replay: EvictionReplay;
  private readonly schedule: ReplaySchedule;

  constructor(
    readonly store: CacheStore,
    private readonly failures: FailureLog,
    private readonly options: SafeStoreOptions,
  ) {
    if (store.batchesReads) {
      this.coalescer = new ReadCoalescer({
        one: (key) => this.readOne(key),
        many: (keys) => this.readBatch(keys),
      });
    }
    const { circuitBreaker } = options;
    if (circuitBreaker && !store.synchronous) {
      const breakers = new CircuitBreakers(circuitBreaker, (event, address) =>
        this.circuitChanged(event, address, circuitBreaker),
      );
      this.guardian = new NodeGuard(store, breakers);
    }
    this.replay = new EvictionReplay(MAX_PENDING_EVICTIONS, (dropped) =>
      failures.warn(
        `More than ${MAX_PENDING_EVICTIONS} evictions are waiting for the ${store.name} server: ${dropped} were dropped and replaced by one clear() of the cache, so that none of their old values can be read once it answers.`,
      ),
    );
    this.schedule = new ReplaySchedule(
      () => this.replayAll(),
      () => this.replay.pending,
    );
  }

  get name(): string {
    return this.store.name;
  }

  /** Whether the store answers at once, never with a promise (the memory store). */
  get synchronous(): boolean {
    return this.store.synchronous === true;
  }

  get(key: string): MaybePromise<string | undefined> {
    if (this.replay.pending) {
      const overlay = this.replay.overlay(key);
      if (overlay.known) return overlay.value;
    }
    if (this.synchronous) return this.readNow(key);
    if (this.guardian && !this.guardian.allowsKey(key)) return undefined;
    if (this.coalescer) return this.coalescer.get(key);
    return this.readOne(key);
  }

  /** A read on a store that answers at once: nothing to retry or to break a circuit for. */
  private readNow(key: string): string | undefined {
    try {
      return this.store.get(key) as string | undefined;
    } catch (error) {
      return this.reportMiss('get', error);
    }
  }

  /** Values in key order, or `undefined` when the store could not answer at all. */
  getMany(keys: readonly string[]): MaybePromise<(string | undefined)[] | undefined> {
    if (!this.guardian && !this.replay.pending) {
      return this.read('getMany', () => this.store.getMany(keys));
    }
    const values = new Array<string | undefined>(keys.length);
    const unknown = this.overlaid(keys, values);
    if (unknown.length === 0) return values;
    let answered = 0;
    const reads = this.groupsOf(unknown, (position) => keys[position]).map((group) => {
      const groupKeys = group.items.map((position) => keys[position]);
      return chain(this.readGroup(group.node, groupKeys), (found) => {
        if (!found) return;
        answered++;
        group.items.forEach((position, i) => (values[position] = found[i]));
      });
    });
    return chain(settled(reads), () => (answered === 0 ? undefined : values));
  }

  set(key: string, value: string, ttlMs: number | undefined): MaybePromise<boolean> {
    if (this.serverLooksHung()) return false;
    if (this.guardian && !this.guardian.allowsKey(key)) return false;
    return this.afterReplay(() =>
      this.guard('set', () => chain(this.store.set(key, value, ttlMs), () => true), false, [key]),
    );
  }

  /**
   * Whether a write of `key` would be refused now without a command (server taken for hung, or
   * its circuit open): the caller can skip encoding the value. Claims no probe.
   */
  refusesWriteOf(key: string): boolean {
    return this.serverLooksHung() || this.guardian?.refusesKey(key) === true;
  }

  setMany(entries: readonly StoreEntry[]): MaybePromise<boolean> {
    if (entries.length === 0) return true;
    if (this.serverLooksHung()) return false;
    return this.afterReplay(() => this.writeGroups(entries, 'setMany'));
  }

  /** Whether the store can take a lock (`add` and `deleteIfEquals`) shared by every app server. */
  get locks(): boolean {
    return !this.synchronous && !!this.store.add && !!this.store.deleteIfEquals;
  }

  /** `true`: stored; `false`: the key holds something; `undefined`: the store could not answer. */
  add(key: string, value: string, ttlMs: number): MaybePromise<boolean | undefined> {
    if (this.serverLooksHung()) return undefined;
    if (this.guardian && !this.guardian.allowsKey(key)) return undefined;
    return this.guard('add', () => this.store.add!(key, value, ttlMs), undefined, [key]);
  }

  deleteIfEquals(key: string, value: string): MaybePromise<boolean> {
    if (this.guardian && !this.guardian.allowsKey(key)) return false;
    const deleted = () => this.store.deleteIfEquals!(key, value);
    return this.guard('deleteIfEquals', deleted, false, [key]);
  }

  /**
   * New tag versions: an invalidation. Sent even while writes are skipped; what does not reach
   * the store is queued for replay, and reads see the new versions meanwhile.
   */
  setVersions(entries: readonly StoreEntry[]): MaybePromise<boolean> {
    if (entries.length === 0) return true;
    return this.writeGroups(entries, 'setMany', (lost) => this.queue('versions', lost));
  }

  delete(key: string): MaybePromise<boolean> {
    if (this.guardian && !this.guardian.allowsKey(key)) return this.queue('keys', [key], false);
    return this.guard(
      'delete',
      () => this.store.delete(key),
      false,
      [key],
      () => this.queue('keys', [key]),
    );
  }

  deleteMany(keys: readonly string[]): MaybePromise<number> {
    if (keys.length === 0) return 0;
    if (!this.guardian) {
      return this.guard(
        'deleteMany',
        () => this.store.deleteMany(keys),
        0,
        keys,
        () => this.queue('keys', keys),
      );
    }
    let deleted = 0;
    const deletes = this.guardian
      .groups(keys, (key) => key)
      .map((group) => {
        if (!this.guardian!.allowsNode(group.node)) return this.queue('keys', group.items);
        const sent = this.guard(
          'deleteMany',
          () => this.store.deleteMany(group.items),
          0,
          group.items,
          () => this.queue('keys', group.items),
        );
        return chain(sent, (count) => void (deleted += count));
      });
    return chain(settled(deletes), () => deleted);
  }

  /**
   * It needs every server: refused (queued, `false`) while a circuit is open, and sent as the
   * probe of every open circuit whose `breakFor` is over.
   */
  clear(): MaybePromise<boolean> {
    const probes = this.guardian ? this.guardian.claimAll() : [];
    if (!probes) return this.queue('clear', [], false);
    return this.guard(
      'clear',
      () => chain(this.store.clear(), () => true),
      false,
      [],
      () => this.queue('clear', []),
      probes,
    );
  }

  /**
   * Every server of the store, each held to `commandTimeout`; one whose circuit is open is
   * reported down at once. Not counted as a failure or a success by the breaker; never rejects.
   */
  ping(): Promise<CachePing> {
    const breakers = this.guardian?.breakers;
    return pingStore(this.store, {
      timeoutMs: this.options.commandTimeout,
      store: this.store.name,
      circuitOpen: breakers && ((address) => breakers.isOpen(address)),
    });
  }

  /** Logs and counts a failure that happened above the store (serialization, decoding). */
  report(operation: string, error: unknown): void {
    this.errors++;
    this.failures.report(operation, this.store.explainFailure?.(error) ?? error);
    if (isTimeout(error)) {
      this.skipWritesUntil = Date.now() + HUNG_WINDOW_IN_TIMEOUTS * this.options.commandTimeout;
    }
  }

  stats(): ResilienceStats {
    if (this.synchronous) return {};
    return { circuit: this.guardian?.stats(), replay: this.replay.stats() };
  }

  /** Stops the replay timer (the queue is per process and dies with it). */
  close(): void {
    this.schedule.stop();
  }

  /**
   * Sends what waits for replay, server by server (skipping a server whose circuit is open): the
   * `clear()` first, then deletes and tag versions. One replay at a time; never rejects.
   */
  replayAll(): Promise<void> {
    return this.schedule.run(async () => {
      const batch = this.replay.batch();
      if (batch.clear) {
        const probes = this.guardian ? this.guardian.claimAll() : [];
        if (!probes) return;
        try {
          await this.store.clear();
          probes.forEach((node) => this.guardian?.answeredBy(node));
          this.replay.clearLanded(batch);
        } catch (error) {
          probes.forEach((node) => this.guardian?.failedOn(node, error));
          return this.reportReplay('clear', error);
        }
      }
      const sends = [
        ...this.groupsOf(batch.keys, (key) => key).map((group) =>
          this.replayGroup(
            group,
            'delete',
            () => this.store.deleteMany(group.items),
            () => this.replay.deletesLanded(group.items, batch),
          ),
        ),
        ...this.groupsOf(batch.versions, ({ key }) => key).map((group) =>
          this.replayGroup(
            group,
            'tag invalidation',
            () => this.store.setMany(group.items),
            () => this.replay.versionsLanded(group.items, batch),
          ),
        ),
      ];
      await Promise.all(sends);
    });
  }

  private async replayGroup<T>(
    group: NodeGroup<T>,
    what: string,
    send: () => MaybePromise<unknown>,
    landed: () => void,
  ): Promise<void> {
    if (this.guardian && !this.guardian.allowsNode(group.node)) return;
    try {
      await send();
      this.guardian?.answeredBy(group.node);
      landed();
    } catch (error) {
      this.guardian?.failedOn(group.node, error);
      this.reportReplay(what, error);
    }
  }

  private reportReplay(what: string, error: unknown): void {
    this.report(`${this.store.name} replay of a missed ${what}`, error);
  }

  /** Queues an eviction that did not reach the store; answers `result`. */
  private queue<R>(
    kind: 'keys' | 'versions' | 'clear',
    items: readonly string[] | readonly StoreEntry[],
    result?: R,
  ): R {
    if (kind === 'keys') this.replay.deletes(items as string[]);
    else if (kind === 'versions') this.replay.newVersions(items as StoreEntry[]);
    else this.replay.clear();
    this.schedule.later();
    return result as R;
  }

  /**
   * Runs `write` once what waits for replay was sent (at once when nothing waits). Not while a
   * `clear()` still waits: it would remove what is written.
   */
  private afterReplay(write: () => MaybePromise<boolean>): MaybePromise<boolean> {
    if (!this.replay.pending) return write();
    return this.replayAll().then(() => (this.replay.clearPending ? false : write()));
  }

  /**
   * Entries written server by server; `false` when any did not reach the store (refused by an open
   * circuit, or failed), those handed to `lost`.
   */
  private writeGroups(
    entries: readonly StoreEntry[],
    operation: string,
    lost?: (entries: StoreEntry[]) => void,
  ): MaybePromise<boolean> {
    let all = true;
    const writes = this.groupsOf(entries, ({ key }) => key).map((group) => {
      if (this.guardian && !this.guardian.allowsNode(group.node)) {
        all = false;
        return lost?.(group.items);
      }
      const keys = group.items.map(({ key }) => key);
      const sent = this.guard(
        operation,
        () => chain(this.store.setMany(group.items), () => true),
        false,
        keys,
        () => lost?.(group.items),
      );
      return chain(sent, (ok) => void (all &&= ok));
    });
    return chain(settled(writes), () => all);
  }

  /** Fills `values` from pending evictions; the positions of the keys they do not decide. */
  private overlaid(keys: readonly string[], values: (string | undefined)[]): number[] {
    const unknown: number[] = [];
    keys.forEach((key, position) => {
      const overlay = this.replay.pending ? this.replay.overlay(key) : undefined;
      if (overlay?.known) values[position] = overlay.value;
      else unknown.push(position);
    });
    return unknown;
  }

  /** The keys of one server in one read; `undefined` when its circuit is open or it failed. */
  private readGroup(
    node: string | undefined,
    keys: readonly string[],
  ): MaybePromise<(string | undefined)[] | undefined> {
    if (this.guardian && !this.guardian.allowsNode(node)) return undefined;
    return this.read('getMany', () => this.store.getMany(keys), keys);
  }

  private groupsOf<T>(items: readonly T[], keyOf: (item: T) => string): NodeGroup<T>[] {
    if (this.guardian) return this.guardian.groups(items, keyOf);
    return [{ node: undefined, items: [...items], positions: items.map((_, i) => i) }];
  }

  private readOne(key: string): MaybePromise<string | undefined> {
    return this.read('get', () => this.store.get(key), [key]);
  }

  /**
   * Single-key reads sent together, one multi-key read per server: retried as one read; when it
   * fails, each read counts as one failed `get` (as if sent alone) and answers a miss.
   */
  private readBatch(keys: readonly string[]): MaybePromise<(string | undefined)[]> {
    const { readRetries, commandTimeout } = this.options;
    const values = new Array<string | undefined>(keys.length);
    // Each read was let through by `get`, the probe of a circuit among them.
    const reads = this.groupsOf(keys, (key) => key).map((group) => {
      const read = withReadRetry(
        () => this.answered(this.store.getMany(group.items), group.items),
        readRetries,
        commandTimeout,
        (error) => {
          this.guardian?.failed(group.items, error);
          return group.items.map(() => {
            this.report(`${this.store.name} get`, error);
            return undefined;
          });
        },
      );
      return chain(read, (found) => group.positions.forEach((p, i) => (values[p] = found[i])));
    });
    return chain(settled(reads), () => values);
  }

  /** Reads the clock only inside the window: after it, writes need no clock read again. */
  private serverLooksHung(): boolean {
    if (this.skipWritesUntil === 0) return false;
    if (Date.now() < this.skipWritesUntil) return true;
    this.skipWritesUntil = 0;
    return false;
  }

  /** A read, retried when it fails fast; a last failure is reported and answered `undefined`. */
  private read<T>(
    operation: ReadOperation,
    run: () => MaybePromise<T>,
    keys?: readonly string[],
  ): MaybePromise<T | undefined> {
    const { readRetries, commandTimeout } = this.options;
    if (!this.guardian || !keys) {
      return withReadRetry(run, readRetries, commandTimeout, this.missOnFailure[operation]);
    }
    return withReadRetry(
      () => this.answered(run(), keys),
      readRetries,
      commandTimeout,
      (error) => {
        this.guardian!.failed(keys, error);
        return this.reportMiss(operation, error);
      },
    );
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

  /** With a breaker that saw failures: an answer on `keys` closes their servers' count. */
  private answered<T>(result: MaybePromise<T>, keys: readonly string[]): MaybePromise<T> {
    const guardian = this.guardian;
    if (!guardian || guardian.breakers.quiet || !isPromiseLike(result)) return result;
    return Promise.resolve(result).then((value) => {
      guardian.answered(keys);
      return value;
    });
  }

  /** A command whose failure is reported, counted on its servers, and answered `fallback`. */
  private guard<T, F>(
    operation: string,
    run: () => MaybePromise<T>,
    fallback: F,
    keys: readonly string[] = [],
    onFailure?: () => void,
    probes: readonly string[] = [],
  ): MaybePromise<T | F> {
    return chain<T, T | F>(
      () => this.answered(run(), keys),
      (value) => {
        probes.forEach((node) => this.guardian?.answeredBy(node));
        return value;
      },
      (error) => {
        this.guardian?.failed(keys, error);
        probes.forEach((node) => this.guardian?.failedOn(node, error));
        onFailure?.();
        this.report(`${this.store.name} ${operation}`, error);
        return fallback;
      },
    );
  }

  private circuitChanged(
    event: 'opened' | 'closed',
    address: string,
    { failures, breakForMs }: CircuitBreakerSettings,
  ): void {
    const server = `${this.store.name} server ${address}`;
    if (event === 'closed') {
      this.failures.note(`Cache circuit to the ${server} closed: it answered again.`);
      if (this.replay.pending) this.schedule.soon();
      return;
    }
    this.failures.warn(
      `Cache circuit to the ${server} opened after ${failures} failures in a row: its calls answer at once as misses for ${breakForMs} ms, then one call probes it (circuitBreaker).`,
    );
  }
}

/** Waits for every step that is a promise; at once when none is. */
function settled(steps: MaybePromise<unknown>[]): MaybePromise<void> {
  const pending = steps.filter(isPromiseLike);
  if (pending.length === 0) return undefined;
  return Promise.all(pending).then(() => undefined);
}
