import type { ConnectionOptions } from 'node:tls';
import type { RedisConnectionOptions } from '../interfaces/cache-module-options.interface.js';
import { IOREDIS_CLUSTER_OPTION_KEYS, IOREDIS_REDIS_OPTION_KEYS } from './ioredis-option-keys.js';
import {
  anyObject,
  optionError,
  port,
  refuseBeside,
  section,
  text,
  wholeNumber,
  type OptionBag,
} from './option-checks.js';
import type { RedisSettings } from './resolved-options.js';
import { CACHE_DEFAULTS } from './cache-defaults.js';
import { refuseUnknownKeys } from './unknown-keys.js';

const REDIS_KEYS = {
  url: true,
  host: true,
  port: true,
  username: true,
  password: true,
  db: true,
  tls: true,
  cluster: true,
  sentinel: true,
  client: true,
  options: true,
  poolSize: true,
} satisfies Record<keyof RedisConnectionOptions, true>;

const CLUSTER_KEYS = {
  keys: new Set(['nodes', ...IOREDIS_CLUSTER_OPTION_KEYS]),
  description: "known options are 'nodes' and ioredis's ClusterOptions",
};
const SENTINEL_KEYS = {
  keys: IOREDIS_REDIS_OPTION_KEYS,
  description: "known options are 'sentinels', 'name' and ioredis's RedisOptions",
};
const ADDRESS_KEYS = { keys: new Set(['host', 'port', 'family']) };
const URL_FORM = 'Use redis://[user:password@]host:port[/db], or rediss://… for TLS.';

/** The `redis` section, checked: what `RedisStore` takes. */
export function resolveRedis(value: unknown, path = 'redis'): RedisSettings {
  const redis = section(
    path,
    value,
    "{ url: 'redis://host:6379' } (or host/port, cluster, sentinel, client)",
  );
  refuseUnknownKeys(path, redis, { keys: new Set(Object.keys(REDIS_KEYS)) });
  refuseContradictions(redis, path);
  const poolSize = checkPoolSize(redis, path);
  if (redis.client !== undefined) return { client: checkClient(redis.client, path) };
  requireLocation(redis, path);
  const settings: RedisSettings = redis.poolSize === undefined ? {} : { poolSize };
  if (redis.url !== undefined) settings.url = checkUrl(redis.url, path);
  if (redis.host !== undefined) settings.host = text(`${path}.host`, redis.host);
  if (redis.port !== undefined) settings.port = port(`${path}.port`, redis.port);
  if (redis.username !== undefined) settings.username = text(`${path}.username`, redis.username);
  if (redis.password !== undefined)
    settings.password = text(`${path}.password`, redis.password, { allowEmpty: true });
  if (redis.db !== undefined) settings.db = wholeNumber(`${path}.db`, redis.db, 0);
  const tls = checkTls(redis.tls, path);
  if (tls) settings.tls = tls;
  if (redis.cluster !== undefined) settings.cluster = checkCluster(redis.cluster, path);
  if (redis.sentinel !== undefined) settings.sentinel = checkSentinel(redis.sentinel, path);
  if (redis.options !== undefined)
    settings.options = anyObject(
      `${path}.options`,
      redis.options,
      'Use an object of ioredis options.',
    );
  return settings;
}

/** `poolSize`, a whole number ≥ 1; only 1 beside a client of the user's own. */
function checkPoolSize(redis: OptionBag, path: string): number {
  const size = wholeNumber(`${path}.poolSize`, redis.poolSize ?? CACHE_DEFAULTS.redis.poolSize, 1);
  if (redis.client !== undefined && size > 1) {
    throw optionError(
      `${path}.poolSize`,
      size,
      `Not above 1 with ${path}.client: a client of your own is used as is and cannot be cloned. Give the connection settings (url, host/port, cluster, sentinel) instead of a client, or leave poolSize out.`,
    );
  }
  return size;
}

function refuseContradictions(redis: OptionBag, path: string): void {
  const others = Object.keys(REDIS_KEYS).filter((key) => key !== 'client' && key !== 'poolSize');
  refuseBeside(
    path,
    redis,
    'client',
    others,
    'a client of your own is used as is: set this on that client instead.',
  );
  refuseBeside(
    path,
    redis,
    'cluster',
    ['sentinel', 'url', 'host', 'port', 'db'],
    'a Cluster finds its nodes from cluster.nodes and has only database 0.',
  );
  refuseBeside(
    path,
    redis,
    'sentinel',
    ['url', 'host', 'port'],
    'the sentinels say where the master is.',
  );
  refuseBeside(path, redis, 'url', ['host', 'port'], 'the URL says where the server is.');
}

/** Never a silent `localhost:6379`: the section must say where Redis is. */
function requireLocation(redis: OptionBag, path: string): void {
  const where = ['url', 'host', 'port', 'cluster', 'sentinel'];
  const options = (redis.options ?? {}) as OptionBag;
  if (where.some((key) => redis[key] !== undefined)) return;
  if (['host', 'port', 'path'].some((key) => options[key] !== undefined)) return;
  throw optionError(
    path,
    redis,
    "Say where Redis is: { url: 'redis://host:6379' }, host/port, cluster, sentinel or client.",
  );
}

function checkUrl(url: unknown, path: string): string {
  let parsed: URL | undefined;
  try {
    parsed = typeof url === 'string' ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || !['redis:', 'rediss:'].includes(parsed.protocol) || !parsed.hostname) {
    throw optionError(`${path}.url`, url, URL_FORM);
  }
  if (parsed.port) port(`${path}.url`, Number(parsed.port));
  return url as string;
}

/** `true` becomes `{}` (TLS with Node's defaults); `false` is plain TCP. */
function checkTls(tls: unknown, path: string): ConnectionOptions | undefined {
  if (tls === undefined || tls === false) return undefined;
  if (tls === true) return {};
  return anyObject(
    `${path}.tls`,
    tls,
    'Use true, or an object of Node tls.connect options ({ ca, cert, key, servername, … }).',
  ) as ConnectionOptions;
}

function checkClient(client: unknown, path: string): NonNullable<RedisSettings['client']> {
  const candidate = client as { get?: unknown; on?: unknown } | null;
  if (typeof candidate?.get === 'function' && typeof candidate.on === 'function')
    return client as NonNullable<RedisSettings['client']>;
  throw optionError(`${path}.client`, client, 'Give an ioredis Redis or Cluster instance.');
}

function checkCluster(value: unknown, path: string): NonNullable<RedisSettings['cluster']> {
  const cluster = section(`${path}.cluster`, value, "{ nodes: [{ host: 'redis-1', port: 6379 }] }");
  refuseUnknownKeys(`${path}.cluster`, cluster, CLUSTER_KEYS);
  const { nodes } = cluster;
  if (!Array.isArray(nodes) || nodes.length === 0) {
    throw optionError(`${path}.cluster.nodes`, nodes, 'List at least one node: [{ host, port }].');
  }
  nodes.forEach((node, i) => checkAddress(`${path}.cluster.nodes[${i}]`, node));
  if (cluster.redisOptions !== undefined) {
    anyObject(
      `${path}.cluster.redisOptions`,
      cluster.redisOptions,
      'Use an object of RedisOptions.',
    );
  }
  return cluster as unknown as NonNullable<RedisSettings['cluster']>;
}

function checkSentinel(value: unknown, path: string): NonNullable<RedisSettings['sentinel']> {
  const sentinel = section(
    `${path}.sentinel`,
    value,
    "{ sentinels: [{ host: 'sentinel-1', port: 26379 }], name: 'mymaster' }",
  );
  refuseUnknownKeys(`${path}.sentinel`, sentinel, SENTINEL_KEYS);
  const { sentinels, name } = sentinel;
  if (!Array.isArray(sentinels) || sentinels.length === 0) {
    throw optionError(
      `${path}.sentinel.sentinels`,
      sentinels,
      'List at least one sentinel: [{ host, port }].',
    );
  }
  sentinels.forEach((address, i) =>
    checkAddress(`${path}.sentinel.sentinels[${i}]`, address, true),
  );
  if (typeof name !== 'string' || !name) {
    throw optionError(
      `${path}.sentinel.name`,
      name,
      'Give the name of the master the sentinels monitor.',
    );
  }
  return sentinel as unknown as NonNullable<RedisSettings['sentinel']>;
}

/** `{ host?, port? }`; for a Cluster node also ioredis's `'host:port'` or a bare port. */
function checkAddress(option: string, address: unknown, objectOnly = false): void {
  if (!objectOnly && typeof address === 'string' && address.length > 0) return;
  if (!objectOnly && typeof address === 'number') {
    port(option, address);
    return;
  }
  const fields = section(option, address, "{ host: 'redis-1', port: 6379 }");
  refuseUnknownKeys(option, fields, ADDRESS_KEYS);
  if (fields.host !== undefined) text(`${option}.host`, fields.host);
  if (fields.port !== undefined) port(`${option}.port`, fields.port);
}
