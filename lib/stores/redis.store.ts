import { Logger } from '@nestjs/common';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { CacheOptionsError, CacheTimeoutError } from '../errors.js';
import { CACHE_DEFAULTS } from '../options/cache-defaults.js';
import type { RedisSettings } from '../options/resolved-options.js';
import type { CacheStore, StoreEntry, StoreNode } from './cache-store.interface.js';
import { usesSentinels, withTimeout, type RedisClient } from './redis/redis-connection.js';
import { withDeadline } from '../utils/deadline.js';
import { isIoredisCommandTimeout, ownCommandTimeout } from './redis/ioredis-internals.js';
import { explainRedisFailure } from './redis/redis-failures.js';
import { refusedCommands } from './redis/permission-probe.js';
import { clusterTlsRefusal, sentinelTlsRefusal } from './redis/tls-probe.js';
import { groupKeys, keyHead, prefixPattern, wireKey } from './redis/redis-keys.js';
import { clusterMasterNodes, serverNode } from './redis/redis-nodes.js';
import { RedisPool } from './redis/redis-pool.js';
import calculateSlot from 'cluster-key-slot';

/**
 * Settings as `CacheModule` resolves them; the store trusts them (`CacheModule` checks its
 * options at startup). Left out: the defaults of `CacheModuleOptions`.
 */
export interface RedisStoreOptions {
  /**
   * Put in front of every key on the server, then `|` (`cache:` → `cache:|user:1`); `clear()`
   * removes this namespace only. May not contain `|`.
   * @default 'cache:'
   */
  keyPrefix?: string;
  /**
   * Longest time, in milliseconds, one command may take before it rejects.
   * @default 250
   */
  commandTimeout?: number;
  /**
   * Where the server is (URL, host/port, Sentinel, Cluster) or an ioredis client to use as is;
   * `tls` is `{}` or Node `tls.connect` options; `poolSize` clients are opened (not with `client`).
   */
  connection: RedisSettings;
  /**
   * Debug hook: connection-level errors of a client this store created (refused connections,
   * resets; repeated on every reconnection attempt while the server is down). Ioredis's own
   * "Unhandled error event" log is silenced either way; failed commands reject instead.
   */
  onConnectionError?: (error: Error) => void;
}

const DELETE_IF_EQUALS =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

const log = new Logger('RedisStore');

/** Keys one SCAN step looks at, in `clear()`. */
const SCAN_COUNT = 1000;

/**
 * Redis driver on ioredis: standalone, Sentinel or Cluster. It moves strings only, under
 * `keyPrefix`, and fails fast: while disconnected every call rejects at once (no offline queue),
 * a slow server makes it reject after `commandTimeout`, and it reconnects by itself. On a Cluster
 * multi-key commands are split by hash slot, so they never fail with CROSSSLOT.
 */
export class RedisStore implements CacheStore {
  readonly name = 'redis';
  readonly batchesReads = true;
  private readonly pool: RedisPool;
  /** The first client of the pool: its slot map, options and permissions stand for every one. */
  private readonly client: RedisClient;
  private readonly commandTimeout: number;
  private readonly prefix: string;
  /** What every key of this store starts with: `keyPrefix + '|'`. */
  private readonly head: string;
  /** ioredis's own `keyPrefix` on a user's client: added by ioredis to keys, never to patterns. */
  private readonly nativePrefix: string;
  /** The client's own ioredis `commandTimeout` (a client handed in, or `redis.options`), if any. */
  private readonly ownTimeout?: number;
  /** What a command that passed its deadline rejects with. */
  private readonly timedOut = () => new CacheTimeoutError('redis', this.commandTimeout);
  /** A rejection of a command with a deadline: ioredis's own timeout becomes a `CacheTimeoutError`. */
  private readonly fromIoredis = (error: unknown): unknown =>
    isIoredisCommandTimeout(error)
      ? new CacheTimeoutError(
          'redis',
          this.ownTimeout ?? this.commandTimeout,
          `The redis store did not answer within ${this.ownTimeout} ms, the ioredis commandTimeout of the client (set on the client handed in as redis.client, or in redis.options).`,
          error,
        )
      : error;
  /** What `nodeOf` answers for a standalone or Sentinel connection. */
  private readonly address: string;
  /**
   * Why connecting a client this store opened fails, explained (a refused TLS handshake or
   * password); cleared once ready.
   */
  private connectionRefusal?: Error;
  /** A TLS probe of a Cluster node or of the sentinels is under way (`explainTls`). */
  private probingTls = false;
  /** Set once the first connection attempt settled: from then on no call waits for a connection. */
  private warm = false;
  private closed = false;
  private firstReady?: Promise<void>;
  private closing?: Promise<void>;

  constructor(options: RedisStoreOptions) {
    const { keyPrefix = CACHE_DEFAULTS.keyPrefix, connection, onConnectionError } = options;
    const { commandTimeout = CACHE_DEFAULTS.commandTimeout } = options;
    this.head = keyHead(keyPrefix);
    this.pool = new RedisPool(connection, commandTimeout);
    const client = this.pool.primary;
    this.client = client;
    this.commandTimeout = commandTimeout;
    this.prefix = keyPrefix;
    this.nativePrefix = client.options.keyPrefix ?? '';
    if (this.pool.owned) {
      for (const each of this.pool.clients) this.watchConnection(each, onConnectionError);
    }
    this.ownTimeout = ownCommandTimeout(client);
    this.address = client.isCluster ? 'cluster' : addressOf(client as Redis);
  }

  /** The hot path: ioredis's own promise, one step added, once the first connection settled. */
  get(key: string): Promise<string | undefined> {
    if (!this.live()) return this.warmUp().then(() => this.getFrom(key));
    return this.getFrom(key);
  }

  private getFrom(key: string): Promise<string | undefined> {
    const physical = this.physical(key);
    const lane = this.pool.choose(physical);
    const sent = this.pool.clients[lane].get(physical);
    return this.bounded(lane, sent).then((value) => value ?? undefined);
  }

  async getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    if (keys.length === 0) return [];
    if (!this.live()) await this.warmUp();
    const physical = keys.map((key) => this.physical(key));
    const values = new Array<string | undefined>(keys.length);
    await Promise.all(
      this.groups(physical).map(async (group) => {
        const wanted = group.map((position) => physical[position]);
        const lane = this.pool.choose(wanted);
        const found = await this.bounded(lane, this.pool.clients[lane].mget(wanted));
        group.forEach((position, i) => (values[position] = found[i] ?? undefined));
      }),
    );
    return values;
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    if (!this.live()) await this.warmUp();
    const physical = this.physical(key);
    const lane = this.pool.choose(physical);
    const client = this.pool.clients[lane];
    const sent =
      ttlMs && ttlMs > 0
        ? client.set(physical, value, 'PX', Math.ceil(ttlMs))
        : client.set(physical, value);
    await this.bounded(lane, sent, physical);
  }

  /** One pipeline (one per hash slot on a Cluster): MSET could not give each key its own TTL. */
  async setMany(entries: readonly StoreEntry[]): Promise<void> {
    if (entries.length === 0) return;
    if (!this.live()) await this.warmUp();
    const physical = entries.map(({ key }) => this.physical(key));
    const groups = this.client.isCluster ? this.groups(physical) : [entries.map((_, i) => i)];
    await Promise.all(
      groups.map((group) => {
        const written = group.map((position) => physical[position]);
        const lane = this.pool.choose(written);
        const pipeline = this.pool.clients[lane].pipeline();
        for (const position of group) {
          const { value, ttlMs } = entries[position];
          if (ttlMs && ttlMs > 0) pipeline.set(physical[position], value, 'PX', Math.ceil(ttlMs));
          else pipeline.set(physical[position], value);
        }
        return this.bounded(lane, execPipeline(pipeline), written);
      }),
    );
  }

  /** `SET … PX … NX`. */
  async add(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (!this.live()) await this.warmUp();
    const physical = this.physical(key);
    const lane = this.pool.choose(physical);
    const sent = this.pool.clients[lane].set(physical, value, 'PX', Math.ceil(ttlMs), 'NX');
    return (await this.bounded(lane, sent, physical)) === 'OK';
  }

  /** Compare and delete in one script, so that a lock that expired and was taken is left alone. */
  async deleteIfEquals(key: string, value: string): Promise<boolean> {
    if (!this.live()) await this.warmUp();
    const physical = this.physical(key);
    const lane = this.pool.choose(physical);
    const sent = this.pool.clients[lane].eval(DELETE_IF_EQUALS, 1, physical, value);
    return (await this.bounded(lane, sent, physical)) === 1;
  }

  async delete(key: string): Promise<boolean> {
    if (!this.live()) await this.warmUp();
    const physical = this.physical(key);
    const lane = this.pool.choose(physical);
    return (await this.bounded(lane, this.pool.clients[lane].unlink(physical), physical)) > 0;
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    if (!this.live()) await this.warmUp();
    return this.unlinkAll(keys.map((key) => this.physical(key)));
  }

  /**
   * `SCAN … MATCH <keyPrefix>|*` on every master, `UNLINK` page by page. Never KEYS, never
   * FLUSHDB. The separator makes the pattern match this prefix only, never a longer one that
   * starts with it. Refuses an empty `keyPrefix` all the same.
   */
  async clear(): Promise<void> {
    if (!this.prefix) {
      throw new CacheOptionsError(
        'keyPrefix',
        this.prefix,
        'clear() removes the keys under keyPrefix and refuses to empty a whole Redis database: set a keyPrefix such as "cache:".',
      );
    }
    if (!this.live()) await this.warmUp();
    const lane = this.pool.choose();
    const client = this.pool.clients[lane];
    const nodes = client.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
    if (nodes.length === 0) throw new Error('Redis Cluster: no master node is known yet to scan.');
    const pattern = prefixPattern(this.nativePrefix + this.head);
    const strip = this.nativePrefix.length;
    await Promise.all(
      nodes.map((node) =>
        this.scanKeys(lane, node, pattern, (found) =>
          this.unlinkAll(found.map((key) => key.slice(strip))),
        ),
      ),
    );
  }

  /**
   * `host:port` of the server that holds `key`: on a Cluster the master owning its slot now (it
   * changes when a replica is promoted), `undefined` until the slots are known; otherwise the one
   * server (for Sentinel, the master set's name).
   */
  nodeOf(key: string): string | undefined {
    if (!this.client.isCluster) return this.address;
    const slot = calculateSlot(this.nativePrefix + this.physical(key));
    return (this.client as Cluster).slots[slot]?.[0];
  }

  /** A refused TLS handshake, password or ACL permission, explained; the connection's if it is down. */
  explainFailure(error: unknown): Error | undefined {
    const own = explainRedisFailure(error, this.address);
    return own ?? (this.pool.isReady() ? undefined : this.connectionRefusal);
  }

  /**
   * For `ping()`: every master of a Cluster (as the slot map names them), else the one server;
   * each once, pinged on the least busy client of the pool.
   */
  async nodes(): Promise<StoreNode[]> {
    if (!this.live()) await this.warmUp();
    const client = this.pool.clients[this.pool.choose()];
    if (client.isCluster) return clusterMasterNodes(client as Cluster);
    return [serverNode(client as Redis, this.address)];
  }

  /** The first connection of the pool: the L1 bus publishes on it. */
  get connection(): RedisClient {
    return this.client;
  }

  /**
   * Starts connecting; resolves once ready, or after the connect timeout. Never rejects. Once
   * connected, checks in one round trip that the ACL user may run every command the store sends,
   * and warns, naming the commands, if not.
   */
  async ready(): Promise<void> {
    if (this.closed) return;
    await this.waitReady(this.pool.connectTimeout);
    const client = this.pool.clients.find(({ status }) => status === 'ready');
    if (client) await this.checkPermissions(client);
  }

  /** On one client: every client of the pool logs in as the same user. */
  private async checkPermissions(client: RedisClient): Promise<void> {
    const probeKey = `${this.head}__permission_probe__`;
    const refused = await refusedCommands(client, probeKey, this.commandTimeout);
    if (refused.length === 0) return;
    log.warn(
      `The Redis ACL user of the cache may not run ${refused.join(', ')} on the keys of keyPrefix "${this.prefix}" (${this.address}): those cache calls will fail and answer as misses. Grant the ACL rule of the README's "Security" section to that user (redis.username).`,
    );
  }

  /** `QUIT` (or `disconnect()` when that fails or hangs) the clients this store created; never the user's. */
  close(): Promise<void> {
    this.closed = true;
    this.closing ??= this.pool.close();
    return this.closing;
  }

  /** The key on the server: `keyPrefix`, `|`, then the key (see `wireKey`). */
  private physical(key: string): string {
    return this.head + wireKey(key);
  }

  /**
   * Remembers why connecting fails, explained (a Cluster reports it per node), until the client is
   * ready: the failures between (a reset, the ready check refused) follow from it. A mutual-TLS
   * server that refuses the client's certificate is seen as a TLS alert on one attempt and as a
   * reset connection on the next.
   */
  private watchConnection(client: RedisClient, onError?: (error: Error) => void): void {
    const failed = (error: Error) => {
      this.connectionRefusal = explainRedisFailure(error, this.address) ?? this.connectionRefusal;
      onError?.(error);
    };
    client.on('error', failed);
    const timeoutMs = this.pool.connectTimeout;
    if (client.isCluster) {
      client.on('node error', (error: Error, node: string) => {
        failed(error);
        void this.explainTls(client, () => clusterTlsRefusal(client as Cluster, node, timeoutMs));
      });
    } else if (usesSentinels(client)) {
      client.on('error', () => {
        void this.explainTls(client, () => sentinelTlsRefusal(client as Redis, timeoutMs));
      });
    }
    client.on('ready', () => (this.connectionRefusal = undefined));
  }

  /**
   * A Cluster (for a node) and a Sentinel client (for the sentinels) hide why TLS fails: find out
   * with `probe`, once at a time, until explained or ready.
   */
  private async explainTls(
    client: RedisClient,
    probe: () => Promise<Error | undefined>,
  ): Promise<void> {
    if (this.probingTls || this.connectionRefusal || isReady(client)) return;
    this.probingTls = true;
    try {
      const refusal = await probe();
      // Ready in the meantime: the refusal is over (and 'ready' already cleared the last one).
      if (refusal && !isReady(client)) this.connectionRefusal ??= refusal;
    } finally {
      this.probingTls = false;
    }
  }

  /** Whether a call may go at once: not before the first connections settled, nor once closed. */
  private live(): boolean {
    if (this.closed) return false;
    if (!this.warm && this.pool.settled()) this.warm = true;
    return this.warm;
  }

  /** Before the first connections settled: wait for them, at most `commandTimeout`. */
  private async warmUp(): Promise<void> {
    if (this.closed) throw new Error('The redis cache store is closed.');
    await this.waitReady(this.commandTimeout);
  }

  /** Connects every client (once, however many wait); waits at most `ms`. */
  private async waitReady(ms: number): Promise<void> {
    if (!this.pool.settled()) {
      this.firstReady ??= this.pool.connect();
      await withTimeout(this.firstReady, ms, undefined);
    }
    this.warm = true;
  }

  /**
   * A command just sent, held to `commandTimeout`: by the watchdog on a standalone or Sentinel
   * connection this store opened, otherwise by a deadline of its own. A Cluster needs the deadline
   * end to end: ioredis first retries a command for a dead master's slots every
   * `retryDelayOnFailover` (100 ms) before any node connection takes it. A client handed in is
   * never watched, since the watchdog would also give up on its owner's own commands (a long
   * `BLPOP`); the deadline also holds it while it queues offline, and turns the client's own ioredis
   * `commandTimeout`, if it has one, into a `CacheTimeoutError`. Sent on client `lane` of the
   * pool; `written`: the physical keys it writes.
   */
  private bounded<T>(
    lane: number,
    command: Promise<T>,
    written?: readonly string[] | string,
  ): Promise<T> {
    const tracked = this.pool.track(lane, command, written);
    if (this.pool.watched) return tracked;
    return withDeadline(tracked, this.commandTimeout, this.timedOut, this.fromIoredis);
  }

  /** Key positions per command: one group per hash slot on a Cluster, at most 1,000 keys each. */
  private groups(keys: readonly string[]): number[][] {
    const onWire = this.nativePrefix ? keys.map((key) => this.nativePrefix + key) : keys;
    return groupKeys(onWire, this.client.isCluster);
  }

  /** SCAN on one node's connection of client `lane` (the watchdog of that client watches it). */
  private async scanKeys(
    lane: number,
    node: Redis,
    pattern: string,
    onPage: (keys: string[]) => Promise<unknown>,
  ): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await this.bounded(
        lane,
        node.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT),
      );
      if (keys.length > 0) await onPage(keys);
      cursor = next;
    } while (cursor !== '0');
  }

  private async unlinkAll(keys: readonly string[]): Promise<number> {
    const counts = await Promise.all(
      this.groups(keys).map((group) => {
        const removed = group.map((position) => keys[position]);
        const lane = this.pool.choose(removed);
        return this.bounded(lane, this.pool.clients[lane].unlink(removed), removed);
      }),
    );
    return counts.reduce((sum, count) => sum + count, 0);
  }
}

function isReady(client: RedisClient): boolean {
  return client.status === 'ready';
}

function addressOf(client: Redis): string {
  const { sentinels, name, path, host, port } = client.options;
  if (sentinels?.length) return `sentinel:${name}`;
  return path ?? `${host}:${port}`;
}

/** Rejects with the first command error: `exec()` itself resolves even when commands failed. */
async function execPipeline(pipeline: ChainableCommander): Promise<void> {
  const results = await pipeline.exec();
  const failed = results?.find(([error]) => error);
  if (failed) throw failed[0];
}
