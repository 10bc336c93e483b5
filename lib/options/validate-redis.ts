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
export function resolveRedis(value: unknown): RedisSettings {
  const redis = section(
    'redis',
    value,
    "{ url: 'redis://host:6379' } (or host/port, cluster, sentinel, client)",
  );
  refuseUnknownKeys('redis', redis, { keys: new Set(Object.keys(REDIS_KEYS)) });
  refuseContradictions(redis);
  if (redis.client !== undefined) return { client: checkClient(redis.client) };
  requireLocation(redis);
  const settings: RedisSettings = {};
  if (redis.url !== undefined) settings.url = checkUrl(redis.url);
  if (redis.host !== undefined) settings.host = text('redis.host', redis.host);
  if (redis.port !== undefined) settings.port = port('redis.port', redis.port);
  if (redis.username !== undefined) settings.username = text('redis.username', redis.username);
  if (redis.password !== undefined)
    settings.password = text('redis.password', redis.password, { allowEmpty: true });
  if (redis.db !== undefined) settings.db = wholeNumber('redis.db', redis.db, 0);
  const tls = checkTls(redis.tls);
  if (tls) settings.tls = tls;
  if (redis.cluster !== undefined) settings.cluster = checkCluster(redis.cluster);
  if (redis.sentinel !== undefined) settings.sentinel = checkSentinel(redis.sentinel);
  if (redis.options !== undefined)
    settings.options = anyObject(
      'redis.options',
      redis.options,
      'Use an object of ioredis options.',
    );
  return settings;
}

function refuseContradictions(redis: OptionBag): void {
  const others = Object.keys(REDIS_KEYS).filter((key) => key !== 'client');
  refuseBeside(
    'redis',
    redis,
    'client',
    others,
    'a client of your own is used as is: set this on that client instead.',
  );
  refuseBeside(
    'redis',
    redis,
    'cluster',
    ['sentinel', 'url', 'host', 'port', 'db'],
    'a Cluster finds its nodes from cluster.nodes and has only database 0.',
  );
  refuseBeside(
    'redis',
    redis,
    'sentinel',
    ['url', 'host', 'port'],
    'the sentinels say where the master is.',
  );
  refuseBeside('redis', redis, 'url', ['host', 'port'], 'the URL says where the server is.');
}

/** Never a silent `localhost:6379`: the section must say where Redis is. */
function requireLocation(redis: OptionBag): void {
  const where = ['url', 'host', 'port', 'cluster', 'sentinel'];
  const options = (redis.options ?? {}) as OptionBag;
  if (where.some((key) => redis[key] !== undefined)) return;
  if (['host', 'port', 'path'].some((key) => options[key] !== undefined)) return;
  throw optionError(
    'redis',
    redis,
    "Say where Redis is: { url: 'redis://host:6379' }, host/port, cluster, sentinel or client.",
  );
}

function checkUrl(url: unknown): string {
  let parsed: URL | undefined;
  try {
    parsed = typeof url === 'string' ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || !['redis:', 'rediss:'].includes(parsed.protocol) || !parsed.hostname) {
    throw optionError('redis.url', url, URL_FORM);
  }
  if (parsed.port) port('redis.url', Number(parsed.port));
  return url as string;
}

/** `true` becomes `{}` (TLS with Node's defaults); `false` is plain TCP. */
function checkTls(tls: unknown): ConnectionOptions | undefined {
  if (tls === undefined || tls === false) return undefined;
  if (tls === true) return {};
  return anyObject(
    'redis.tls',
    tls,
    'Use true, or an object of Node tls.connect options ({ ca, cert, key, servername, … }).',
  ) as ConnectionOptions;
}

function checkClient(client: unknown): NonNullable<RedisSettings['client']> {
  const candidate = client as { get?: unknown; on?: unknown } | null;
  if (typeof candidate?.get === 'function' && typeof candidate.on === 'function')
    return client as NonNullable<RedisSettings['client']>;
  throw optionError('redis.client', client, 'Give an ioredis Redis or Cluster instance.');
}

function checkCluster(value: unknown): NonNullable<RedisSettings['cluster']> {
  const cluster = section('redis.cluster', value, "{ nodes: [{ host: 'redis-1', port: 6379 }] }");
  refuseUnknownKeys('redis.cluster', cluster, CLUSTER_KEYS);
  const { nodes } = cluster;
  if (!Array.isArray(nodes) || nodes.length === 0) {
    throw optionError('redis.cluster.nodes', nodes, 'List at least one node: [{ host, port }].');
  }
  nodes.forEach((node, i) => checkAddress(`redis.cluster.nodes[${i}]`, node));
  if (cluster.redisOptions !== undefined) {
    anyObject('redis.cluster.redisOptions', cluster.redisOptions, 'Use an object of RedisOptions.');
  }
  return cluster as unknown as NonNullable<RedisSettings['cluster']>;
}

function checkSentinel(value: unknown): NonNullable<RedisSettings['sentinel']> {
  const sentinel = section(
    'redis.sentinel',
    value,
    "{ sentinels: [{ host: 'sentinel-1', port: 26379 }], name: 'mymaster' }",
  );
  refuseUnknownKeys('redis.sentinel', sentinel, SENTINEL_KEYS);
  const { sentinels, name } = sentinel;
  if (!Array.isArray(sentinels) || sentinels.length === 0) {
    throw optionError(
      'redis.sentinel.sentinels',
      sentinels,
      'List at least one sentinel: [{ host, port }].',
    );
  }
  sentinels.forEach((address, i) => checkAddress(`redis.sentinel.sentinels[${i}]`, address, true));
  if (typeof name !== 'string' || !name) {
    throw optionError(
      'redis.sentinel.name',
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
