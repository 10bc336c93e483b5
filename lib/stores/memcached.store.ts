import type { Client } from 'memjs';
import { CacheTimeoutError, CacheValueTooLargeError } from '../errors.js';
import { CACHE_DEFAULTS } from '../options/cache-defaults.js';
import type { CacheStore, StoreEntry, StoreNode } from './cache-store.interface.js';
import { toMemcachedExpiry } from './memcached/expiry.js';
import { namespaceKey, physicalKey } from './memcached/key-mapper.js';
import {
  createMemcachedClient,
  withMemcachedDefaults,
  type ClosableServer,
  type MemcachedSettings,
  type MemcachedStoreConnection,
} from './memcached/memcached-client.js';
import { translateMemjsError } from './memcached/memcached-errors.js';
import { getEach, getFromServer } from './memcached/multi-get.js';
import { setItem } from './memcached/set-item.js';
import { NamespaceVersion, type NamespaceVersionIo } from './memcached/namespace-version.js';
import { getFromOne, noop, storeIfUnchanged } from './memcached/server-commands.js';
import { serverIndexOf, type KetamaServerSelector } from './memcached/server-selection.js';
import { withDeadline } from '../utils/deadline.js';

/**
 * Settings as `CacheModule` resolves them; the store trusts them (`CacheModule` checks its
 * options at startup). Left out: the defaults of `CacheModuleOptions`.
 */
export interface MemcachedStoreOptions {
  /**
   * Put in front of every key on the server; `clear()` empties this namespace only. At most 160
   * bytes, without spaces or control characters.
   * @default 'cache:'
   */
  keyPrefix?: string;
  /**
   * Longest time, in milliseconds, one request may wait for its answer before it rejects.
   * @default 250
   */
  commandTimeout?: number;
  /** Which servers (`[{ host, port?, weight? }]`) and credentials, or a memjs client to use as is. */
  connection: MemcachedStoreConnection;
}

/**
 * Bytes memcached 1.6 stores beside key and value in one item (header 48, CAS 8, key terminator 1,
 * value CRLF 2 = 59), rounded up: a value is refused before sending when
 * `value + key + ITEM_OVERHEAD_BYTES > maxValueSize`.
 */
export const ITEM_OVERHEAD_BYTES = 64;
/** `ready()` waits at most this long for a first round trip. */
const READY_WAIT_MS = 1000;

/** One value to send: physical key, bytes, memcached expiry. */
interface Item {
  key: string;
  value: Buffer;
  expires: number;
  size: number;
}

/**
 * Memcached driver on memjs (binary protocol, SASL PLAIN, one connection per server). It moves
 * strings only, under `keyPrefix` and a namespace version: `clear()` writes a new version instead
 * of flushing the server, so other prefixes and other applications on the same servers keep their
 * entries. The version is kept on every server of the pool, outside the ring (see
 * `NamespaceVersion`): no one server's arrival, loss or return resets the prefix. Keys memcached
 * cannot hold (over 250 bytes, spaces, control characters) are stored under a SHA-256 of the key.
 * Every failure rejects: the cache client above suppresses it.
 */
export class MemcachedStore implements CacheStore {
  readonly name = 'memcached';
  readonly batchesReads = true;
  private readonly client: Client;
  private readonly owned: ClosableServer[];
  /** Set when the client's servers do not time requests out themselves (see `bounded`). */
  private readonly timesEachCall: boolean;
  private readonly multiGet: boolean;
  private readonly selector?: KetamaServerSelector;
  private reportFailure?: (operation: string, error: unknown) => void;
  private readonly prefix: string;
  private readonly commandTimeout: number;
  private readonly settings: MemcachedSettings;
  private readonly namespace: NamespaceVersion;
  private closed = false;
  private closing?: Promise<void>;

  constructor(options: MemcachedStoreOptions) {
    const { keyPrefix = CACHE_DEFAULTS.keyPrefix, connection } = options;
    const { commandTimeout = CACHE_DEFAULTS.commandTimeout } = options;
    this.prefix = keyPrefix;
    this.commandTimeout = commandTimeout;
    this.settings = withMemcachedDefaults(connection);
    const { client, owned, selector, timesEachCall, multiGet } = createMemcachedClient({
      ...this.settings,
      commandTimeout,
    });
    this.client = client;
    this.owned = owned;
    this.timesEachCall = timesEachCall;
    this.multiGet = multiGet;
    this.selector = selector;
    this.namespace = this.namespaceVersion(namespaceKey(keyPrefix));
  }

  /** The hot path: no extra promise step while the namespace version is fresh. */
  get(key: string): Promise<string | undefined> {
    return this.inNamespace((namespace) => this.read(physicalKey(this.prefix, namespace, key)));
  }

  /**
   * Keys grouped by the server that holds them, one multi-get per server (quiet gets and a no-op
   * in a single write), every server at once. A server that fails turns only its own keys into
   * misses, reported to the client; when every server fails, `getMany` rejects.
   */
  async getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    if (keys.length === 0) return [];
    const namespace = await this.currentNamespace();
    const physical = keys.map((key) => physicalKey(this.prefix, namespace, key));
    const groups = new Map<number, Set<string>>();
    for (const key of physical) {
      const index = serverIndexOf(this.client, key);
      const group = groups.get(index) ?? new Set<string>();
      groups.set(index, group.add(key));
    }
    const answers = await Promise.allSettled(
      [...groups].map(([index, group]) =>
        this.command(() =>
          this.multiGet
            ? getFromServer(this.client, this.client.servers[index], [...group])
            : getEach(this.client, [...group]),
        ),
      ),
    );
    const found = new Map<string, Buffer>();
    const failures: unknown[] = [];
    for (const answer of answers) {
      if (answer.status === 'rejected') failures.push(answer.reason);
      else for (const [key, value] of answer.value) found.set(key, value);
    }
    if (failures.length === answers.length) throw failures[0];
    if (failures.length > 0) this.reportFailure?.('getMany', failures[0]);
    return physical.map((key) => found.get(key)?.toString('utf8'));
  }

  set(key: string, value: string, ttlMs?: number): Promise<void> {
    return this.inNamespace((namespace) => this.write(this.item(namespace, { key, value, ttlMs })));
  }

  /** Each entry on its own, as `set`; resolves or rejects once every write has settled. */
  async setMany(entries: readonly StoreEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const namespace = await this.currentNamespace();
    await settleAll(entries.map((entry) => this.write(this.item(namespace, entry))));
  }

  delete(key: string): Promise<boolean> {
    return this.inNamespace((namespace) => this.remove(physicalKey(this.prefix, namespace, key)));
  }

  /** memcached's `add`: stored only when the key holds nothing. */
  add(key: string, value: string, ttlMs: number): Promise<boolean> {
    return this.inNamespace((namespace) => {
      const { key: physical, value: bytes, expires } = this.item(namespace, { key, value, ttlMs });
      return this.command(() => this.client.add(physical, bytes, { expires }));
    });
  }

  /**
   * A read, then a delete when it still holds `value`. Not atomic: a lock that expired between
   * the two and was taken by another server could be deleted; that server's load then merely
   * runs beside another one (the lock is about efficiency, never correctness).
   */
  deleteIfEquals(key: string, value: string): Promise<boolean> {
    return this.inNamespace(async (namespace) => {
      const physical = physicalKey(this.prefix, namespace, key);
      if ((await this.read(physical)) !== value) return false;
      return this.remove(physical);
    });
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    const namespace = await this.currentNamespace();
    const existed = await settleAll(
      keys.map((key) => this.remove(physicalKey(this.prefix, namespace, key))),
    );
    return existed.filter(Boolean).length;
  }

  /**
   * Writes a newer namespace version to every server (never `flush_all`): every entry of this
   * prefix becomes unreachable at once here, within `namespaceRefreshMs` (plus one read) in other
   * processes, and memcached reclaims the old items as they expire or get evicted. Resolves once
   * at least one server stored the version (servers that failed are reported); rejects when none
   * did.
   */
  async clear(): Promise<void> {
    this.assertOpen();
    await this.namespace.bump();
  }

  /** Another app server cleared the cache: the next command reads the namespace version first. */
  clearedElsewhere(): void {
    this.namespace.forget();
  }

  /** Where a failure answered around (one server of a `getMany`) is logged and counted. */
  onFailure(report: (operation: string, error: unknown) => void): void {
    this.reportFailure = report;
  }

  /**
   * `host:port` of the server that holds `key` now (with ejection, after its keys moved). Routed
   * on the namespace version last known; `undefined` before the first was read.
   */
  nodeOf(key: string): string | undefined {
    const { servers } = this.client;
    if (servers.length === 1) return addressOf(servers[0]);
    const namespace = this.namespace.known;
    if (namespace === undefined) return undefined;
    return addressOf(servers[serverIndexOf(this.client, physicalKey(this.prefix, namespace, key))]);
  }

  /** For `ping()`: every server of the pool, ejected from the ring or not, each sent a `NOOP`. */
  nodes(): StoreNode[] {
    this.assertOpen();
    const { client } = this;
    return client.servers.map((server) => ({
      address: addressOf(server),
      ping: () => this.command(() => noop(client, server)),
    }));
  }

  /** Indexes, in `memcached.servers`, of the servers ejected from the ring now. */
  ejectedServers(): number[] {
    return this.selector?.ejected() ?? [];
  }

  /** Resolves after one round trip (reading the namespace version), or after 1 s. Never rejects. */
  async ready(): Promise<void> {
    if (this.closed) return;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, READY_WAIT_MS)));
    const roundTrip = Promise.resolve()
      .then(() => this.namespace.current())
      .then(
        () => undefined,
        () => undefined,
      );
    await Promise.race([roundTrip, gaveUp]);
    clearTimeout(timer);
  }

  /**
   * Closes the connections this store opened (gracefully, then by force after `commandTimeout`),
   * never a memjs client handed in. No socket or timer is left behind.
   */
  close(): Promise<void> {
    this.closed = true;
    this.closing ??= Promise.all(
      this.owned.map((connection) => connection.shutdown(this.commandTimeout)),
    ).then(() => undefined);
    return this.closing;
  }

  private currentNamespace(): string | Promise<string> {
    this.assertOpen();
    return this.namespace.current();
  }

  /**
   * Runs `use` with the namespace version: at once while it is fresh (the hot path, no extra
   * promise step), so that commands reach the server in the order they were called — a read
   * right after a write of the same key sees it.
   */
  private inNamespace<T>(use: (namespace: string) => Promise<T>): Promise<T> {
    let namespace: string | Promise<string>;
    try {
      namespace = this.currentNamespace();
    } catch (error) {
      return Promise.reject(error);
    }
    return typeof namespace === 'string' ? use(namespace) : namespace.then(use);
  }

  private read(key: string): Promise<string | undefined> {
    return this.bounded(this.client.get(key)).then(
      ({ value }) => (value === null ? undefined : value.toString('utf8')),
      (error: unknown) => Promise.reject(this.translate(error)),
    );
  }

  /**
   * A value over `maxValueSize` is never sent; like memcached refusing it, the entry it was
   * meant to replace is deleted, so a failed update never leaves the old value readable.
   */
  private async write(item: Item): Promise<void> {
    const { key, value, expires, size } = item;
    const limit = this.settings.maxValueSize;
    if (size > limit) {
      await this.remove(key).catch(() => false);
      throw new CacheValueTooLargeError(size, limit, false, 'memcached.maxValueSize');
    }
    const tooLarge = () => new CacheValueTooLargeError(size, limit, true);
    await this.command(() => setItem(this.client, key, value, expires, tooLarge));
  }

  /** memjs answers `false` for a key that did not exist. */
  private remove(key: string): Promise<boolean> {
    return this.command(() => this.client.delete(key));
  }

  private item(namespace: string, entry: StoreEntry): Item {
    const key = physicalKey(this.prefix, namespace, entry.key);
    const value = Buffer.from(entry.value, 'utf8');
    const size = value.length + Buffer.byteLength(key) + ITEM_OVERHEAD_BYTES;
    return { key, value, expires: toMemcachedExpiry(entry.ttlMs), size };
  }

  private async command<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await this.bounded(run());
    } catch (error) {
      throw this.translate(error);
    }
  }

  /**
   * A call just made, held to `commandTimeout` by a timer of its own where the client's servers do
   * not do it themselves: a memjs client handed in (memjs's own timeouts are its `timeout` option,
   * and a steady stream of writes to a hung server defers them), or memjs's own `Server` in the
   * public-API fallback. Connections this store opened time their requests out themselves.
   */
  private bounded<T>(call: Promise<T>): Promise<T> {
    return this.timesEachCall ? withDeadline(call, this.commandTimeout, this.timedOut) : call;
  }

  private readonly timedOut = () => new CacheTimeoutError('memcached', this.commandTimeout);

  private translate(error: unknown): Error {
    return translateMemjsError(error, this.commandTimeout);
  }

  /** The version key on every server, reached directly: it never follows the ring. */
  private namespaceVersion(key: string): NamespaceVersion {
    const { client } = this;
    const io: NamespaceVersionIo = {
      servers: client.servers.length,
      read: (server) => this.command(() => getFromOne(client, client.servers[server], key)),
      write: (server, version, seen) =>
        this.command(() => storeIfUnchanged(client, client.servers[server], key, version, seen)),
      partialFailure: (operation, error) => this.reportFailure?.(operation, error),
    };
    const timing = { refreshMs: this.settings.namespaceRefreshMs, graceMs: this.commandTimeout };
    return new NamespaceVersion(io, timing);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('The memcached cache store is closed.');
  }
}

function addressOf(server: { host: string; port: number | string }): string {
  return `${server.host}:${server.port}`;
}

/** Like `Promise.all`, but settles only once every promise has: then the first failure rejects. */
async function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<T>).value);
}
