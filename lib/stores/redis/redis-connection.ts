import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { CACHE_DEFAULTS } from '../../options/cache-defaults.js';
import type { RedisSettings } from '../../options/resolved-options.js';

export type RedisClient = Redis | Cluster;

/** What the Redis store talks to, and whether it may close it. */
export interface RedisConnection {
  client: RedisClient;
  /** `false` for a client handed in by the user: the store never closes it. */
  owned: boolean;
  /** How long `ready()` waits for the first connection before giving up (it never rejects). */
  connectTimeout: number;
}

/** Longest wait for a TCP/TLS connection (and for `ready()` at startup), longest reconnect pause. */
const { connectTimeout: CONNECT_TIMEOUT_MS, maxReconnectDelay } = CACHE_DEFAULTS.redis;

/**
 * Reconnect forever, quickly: 50, 100, 200, 400, 800, then every `maxReconnectDelay` (1,000 ms:
 * caching resumes this soon after a restart), less up to 10 % jitter so that a fleet of app
 * servers does not reconnect in lockstep after a Redis restart.
 */
export function reconnectDelay(attempt: number): number {
  const base = Math.min(50 * 2 ** Math.max(0, attempt - 1), maxReconnectDelay);
  return Math.round(base * (0.9 + Math.random() * 0.1));
}

/**
 * The fail-fast defaults: a cache must never make its caller wait. Commands are refused at once
 * while disconnected (no offline queue, which would otherwise grow without bound), are never
 * retried by ioredis (the client above decides), and construction never connects, so it never
 * throws. The store holds them to `commandTimeout` itself (`CommandWatchdog`, or a deadline per
 * command) rather than through ioredis's option of that name, which arms a timer per command.
 */
export function failFastOptions(): RedisOptions {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: reconnectDelay,
  };
}

/** Builds the ioredis client `connection` describes; `connection.options` is applied last. */
export function createRedisConnection(connection: RedisSettings): RedisConnection {
  if (connection.client) {
    return { client: connection.client, owned: false, connectTimeout: CONNECT_TIMEOUT_MS };
  }
  const client = createClient(connection, {
    ...failFastOptions(),
    ...defined({ username: connection.username, password: connection.password }),
    ...defined({ tls: connection.tls }),
  });
  return { client, owned: true, connectTimeout: connectTimeoutOf(client) };
}

function createClient(connection: RedisSettings, defaults: RedisOptions): RedisClient {
  const { cluster, sentinel, url, host, port, db, options } = connection;
  if (cluster) return createCluster(cluster, defaults, options);
  if (sentinel) {
    const { sentinels, name, ...sentinelOptions } = sentinel;
    const timeouts = { sentinelCommandTimeout: defaults.connectTimeout };
    return new Redis(
      withTlsToDataNodes({
        ...defaults,
        ...timeouts,
        // Subscribe to the sentinels' +switch-master and reconnect at once: otherwise, after a
        // switch-over that leaves the old master running, every app server keeps reading and
        // writing it until the sentinels demote it, seconds later.
        failoverDetector: true,
        ...defined({ db }),
        ...sentinelOptions,
        ...options,
        sentinels,
        name,
      }),
    );
  }
  const direct = { ...defaults, ...defined({ host, port, db }), ...options };
  return url ? new Redis(url, direct) : new Redis(direct);
}

/**
 * With sentinels, ioredis ignores `tls` and reaches the master in plain TCP unless
 * `enableTLSForSentinelMode` is on: `tls` given turns it on, unless set explicitly. (The sentinels
 * themselves are reached with ioredis's `sentinelTLS`, which is left to the user.)
 */
function withTlsToDataNodes(options: RedisOptions): RedisOptions {
  if (!options.tls || options.enableTLSForSentinelMode !== undefined) return options;
  return { ...options, enableTLSForSentinelMode: true };
}

function createCluster(
  { nodes, ...clusterOptions }: NonNullable<RedisSettings['cluster']>,
  defaults: RedisOptions,
  overrides: RedisOptions | undefined,
): Cluster {
  const redisOptions = { ...defaults, ...clusterOptions.redisOptions, ...overrides };
  const options: ClusterOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    clusterRetryStrategy: reconnectDelay,
    slotsRefreshTimeout: redisOptions.connectTimeout,
    // CLUSTERDOWN lasts until a replica is promoted (seconds): waiting 100 ms and retrying inside
    // one command's time budget cannot succeed, so answer at once (the client above reads a miss).
    retryDelayOnClusterDown: 0,
    ...clusterOptions,
    redisOptions,
  };
  return new Cluster(nodes, options);
}

function connectTimeoutOf(client: RedisClient): number {
  const options = client.isCluster
    ? (client as Cluster).options.redisOptions
    : (client as Redis).options;
  return options?.connectTimeout ?? CONNECT_TIMEOUT_MS;
}

/** Drops `undefined` fields, so that they do not override what a URL or a default says. */
function defined<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(fields).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}

/**
 * Closes a client this store created: `QUIT` (waits for in-flight replies), or `disconnect()` when
 * that fails or takes longer than `timeoutMs`. Resolves once the connection is gone.
 */
export async function closeClient(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'end') return;
  const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
  const quitted =
    client.status !== 'wait' &&
    (await withTimeout(
      client.quit().then(
        () => true,
        () => false,
      ),
      timeoutMs,
      false,
    ));
  // QUIT leaves open the sentinel connections ioredis's failoverDetector subscribes on;
  // disconnect() also closes those (the QUIT reply, the last one, has arrived by now).
  if (!quitted || usesSentinels(client)) client.disconnect();
  await withTimeout(ended, timeoutMs, undefined);
}

/** Whether `client` finds its master through sentinels. */
export function usesSentinels(client: RedisClient): boolean {
  return !client.isCluster && ((client as Redis).options.sentinels?.length ?? 0) > 0;
}

/** What `promise` settles to, or `fallback` once `ms` have passed (a rejection is passed on). */
export function withTimeout<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => (timer = setTimeout(resolve, ms, fallback)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
