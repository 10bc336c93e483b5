import { Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/**
 * Every key of ioredis's `RedisOptions` and `ClusterOptions`, checked against its typings by the
 * compiler (`satisfies`), so a key renamed or added by an ioredis upgrade breaks the typecheck
 * rather than a user's option. ioredis's runtime defaults (`Redis.defaultOptions`) are added in
 * case the installed ioredis is newer than its typings (public at runtime, private in the typings);
 * they list only keys that have a default, and the Cluster defaults are not exported from the
 * package root, hence the lists.
 */
const REDIS_OPTIONS = {
  Connector: true,
  retryStrategy: true,
  commandTimeout: true,
  blockingTimeout: true,
  blockingTimeoutGrace: true,
  socketTimeout: true,
  keepAlive: true,
  noDelay: true,
  connectionName: true,
  disableClientInfo: true,
  clientInfoTag: true,
  username: true,
  password: true,
  db: true,
  autoResubscribe: true,
  autoResendUnfulfilledCommands: true,
  reconnectOnError: true,
  readOnly: true,
  stringNumbers: true,
  connectTimeout: true,
  monitor: true,
  maxRetriesPerRequest: true,
  maxLoadingRetryTime: true,
  enableAutoPipelining: true,
  autoPipeliningIgnoredCommands: true,
  offlineQueue: true,
  commandQueue: true,
  enableOfflineQueue: true,
  enableReadyCheck: true,
  lazyConnect: true,
  scripts: true,
  keyPrefix: true,
  showFriendlyErrorStack: true,
  // Sentinel
  name: true,
  role: true,
  tls: true,
  sentinelUsername: true,
  sentinelPassword: true,
  sentinels: true,
  sentinelRetryStrategy: true,
  sentinelReconnectStrategy: true,
  preferredSlaves: true,
  disconnectTimeout: true,
  sentinelCommandTimeout: true,
  enableTLSForSentinelMode: true,
  sentinelTLS: true,
  natMap: true,
  updateSentinels: true,
  sentinelMaxConnections: true,
  failoverDetector: true,
  // Standalone
  host: true,
  port: true,
  family: true,
  path: true,
} satisfies Record<keyof RedisOptions, true>;

const CLUSTER_OPTIONS = {
  clusterRetryStrategy: true,
  enableOfflineQueue: true,
  enableReadyCheck: true,
  scaleReads: true,
  maxRedirections: true,
  retryDelayOnFailover: true,
  retryDelayOnClusterDown: true,
  retryDelayOnTryAgain: true,
  retryDelayOnMoved: true,
  slotsRefreshTimeout: true,
  slotsRefreshInterval: true,
  shardedSubscribers: true,
  clusterNodeRetryStrategy: true,
  redisOptions: true,
  lazyConnect: true,
  useSRVRecords: true,
  resolveSrv: true,
  dnsLookup: true,
  natMap: true,
  enableAutoPipelining: true,
  autoPipeliningIgnoredCommands: true,
  scripts: true,
  keyPrefix: true,
  showFriendlyErrorStack: true,
} satisfies Record<keyof ClusterOptions, true>;

/** Keys ioredis's `Redis` (standalone or Sentinel) accepts. */
export const IOREDIS_REDIS_OPTION_KEYS: ReadonlySet<string> = new Set([
  ...Object.keys(REDIS_OPTIONS),
  ...Object.keys((Redis as unknown as { defaultOptions?: object }).defaultOptions ?? {}),
]);

/** Keys ioredis's `Cluster` accepts. */
export const IOREDIS_CLUSTER_OPTION_KEYS: ReadonlySet<string> = new Set(
  Object.keys(CLUSTER_OPTIONS),
);
