import type { Redis } from 'ioredis';
import { CACHE_DEFAULTS } from '../../options/cache-defaults.js';
import type { RedisSettings } from '../../options/resolved-options.js';
import { ConnectionLanes } from '../connection-lanes.js';
import { CommandWatchdog } from './command-watchdog.js';
import { ownCommandTimeout } from './ioredis-internals.js';
import { closeClient, createRedisConnection, type RedisClient } from './redis-connection.js';

/**
 * The ioredis clients of one Redis store: `redis.poolSize` clients built from the same settings
 * (a standalone or Sentinel connection each, or a Cluster client each, so that many connections
 * to every master), or the user's one client. Each command goes on the client with the fewest of
 * the store's commands in flight (`ConnectionLanes`); with one client nothing is counted.
 */
export class RedisPool {
  readonly clients: readonly RedisClient[];
  /** `false` for a client handed in by the user: the store never closes it. */
  readonly owned: boolean;
  /** How long `ready()` waits for the first connection before giving up (it never rejects). */
  readonly connectTimeout: number;
  /** One per standalone or Sentinel client the store opened (see `CommandWatchdog`). */
  private readonly watchdogs: readonly (CommandWatchdog | undefined)[];
  /** Only with more than one client. */
  private readonly lanes?: ConnectionLanes;

  constructor(connection: RedisSettings, commandTimeout: number) {
    const size = connection.poolSize ?? CACHE_DEFAULTS.redis.poolSize;
    const opened = Array.from({ length: size }, () => createRedisConnection(connection));
    this.clients = opened.map(({ client }) => client);
    this.owned = opened[0].owned;
    this.connectTimeout = opened[0].connectTimeout;
    this.watchdogs = this.clients.map((client) => watchdogFor(client, this.owned, commandTimeout));
    if (size > 1) {
      this.lanes = new ConnectionLanes(size, (lane) => this.clients[lane].status === 'ready');
    }
  }

  /** The first client: the one the L1 bus publishes on, the permission probe and the slot map use. */
  get primary(): RedisClient {
    return this.clients[0];
  }

  /** Whether commands are held to `commandTimeout` by watchdogs (else by a deadline each). */
  get watched(): boolean {
    return this.watchdogs[0] !== undefined;
  }

  /** The client for a command on `keys` (physical keys), as an index in `clients`. */
  choose(keys?: readonly string[] | string): number {
    return this.lanes ? this.lanes.choose(keys) : 0;
  }

  /**
   * `command`, just sent on client `lane`, counted in flight until it settles (and, with
   * `written`, the keys it writes kept on that client meanwhile); watched if the client is.
   */
  track<T>(lane: number, command: Promise<T>, written?: readonly string[] | string): Promise<T> {
    this.watchdogs[lane]?.watch();
    const lanes = this.lanes;
    if (!lanes) return command;
    lanes.sent(lane, written);
    const settle = () => lanes.settled(lane, written);
    command.then(settle, settle);
    return command;
  }

  isReady(): boolean {
    return this.clients.some((client) => client.status === 'ready');
  }

  /** Whether every client has settled its first connection attempt (ready, or given up). */
  settled(): boolean {
    return this.clients.every(({ status }) => status === 'ready' || status === 'end');
  }

  /** Connects every client (if nobody did yet); resolves once each is `ready` or `end`. */
  connect(): Promise<void> {
    return Promise.all(this.clients.map(connectOnce)).then(() => undefined);
  }

  /** Closes the clients the store opened (see `closeClient`); never the user's. */
  async close(): Promise<void> {
    if (!this.owned) return;
    await Promise.all(this.clients.map((client) => closeClient(client, this.connectTimeout)));
    for (const watchdog of this.watchdogs) watchdog?.stop();
  }
}

function watchdogFor(
  client: RedisClient,
  owned: boolean,
  commandTimeout: number,
): CommandWatchdog | undefined {
  if (!owned || client.isCluster || ownCommandTimeout(client) !== undefined) return undefined;
  return CommandWatchdog.for(client as Redis, commandTimeout);
}

/** Resolves on `ready` or `end`; connects a client still waiting for its first `connect()`. */
function connectOnce(client: RedisClient): Promise<void> {
  if (client.status === 'ready' || client.status === 'end') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      client.off('ready', done);
      client.off('end', done);
      resolve();
    };
    client.on('ready', done);
    client.on('end', done);
    if (client.status === 'wait') client.connect().catch(() => undefined);
  });
}
