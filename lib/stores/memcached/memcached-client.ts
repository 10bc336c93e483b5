import memjs, { type Client } from 'memjs';
import { CacheOptionsError } from '../../errors.js';
import type { MemcachedConnectionOptions } from '../../interfaces/cache-module-options.interface.js';
import { MemcachedConnection } from './memcached-connection.js';
import { moduloServerSelector, useServerSelector } from './server-selection.js';

export const MEMCACHED_STORE_DEFAULTS = {
  maxValueSize: 1_048_576,
  namespaceRefreshMs: 1000,
  connectTimeout: 1000,
} as const;

export interface MemcachedSettings {
  maxValueSize: number;
  namespaceRefreshMs: number;
  connectTimeout: number;
}

export interface MemcachedClientHandle {
  client: Client;
  /** The connections this store opened; empty for a user's client, which is never closed. */
  owned: MemcachedConnection[];
}

/** memjs logs to `console` by default; failures reach the store as rejections instead. */
const SILENT_LOGGER = { log: (): void => undefined };

export function resolveMemcachedSettings(options: MemcachedConnectionOptions): MemcachedSettings {
  const settings = { ...MEMCACHED_STORE_DEFAULTS, ...definedOnly(options) };
  assertNumber('memcached.maxValueSize', settings.maxValueSize, 1, 'an item size in bytes');
  assertNumber('memcached.namespaceRefreshMs', settings.namespaceRefreshMs, 0, 'milliseconds');
  assertNumber('memcached.connectTimeout', settings.connectTimeout, 1, 'milliseconds');
  return settings;
}

/**
 * The user's client as is, or a memjs client on `servers` that fails fast and quietly: one
 * attempt per call (the cache client above retries), `commandTimeout` per request, no failover
 * (a dead server's keys are misses, not moved to another server), TCP keep-alive, no logging.
 */
export function createMemcachedClient(
  connection: MemcachedConnectionOptions,
  commandTimeout: number,
  connectTimeout: number,
): MemcachedClientHandle {
  if (connection.client) return { client: connection.client, owned: [] };
  const { servers, username, password } = connection;
  if (!Array.isArray(servers) || servers.length === 0 || !servers.every(isAddress)) {
    throw new CacheOptionsError(
      'memcached.servers',
      servers,
      "Give at least one server as 'host:port' (or 'user:password@host:port'), or a memjs client as memcached.client.",
    );
  }
  const serverOptions = {
    username,
    password,
    timeout: commandTimeout / 1000,
    conntimeout: connectTimeout / 1000,
    keepAlive: true,
  };
  const owned = servers.map((address) => {
    const { host, port, user, pass } = parseAddress(address);
    return new MemcachedConnection(host, port, user, pass, { ...serverOptions });
  });
  const client = new memjs.Client(owned, {
    retries: 1,
    failover: false,
    expires: 0,
    logger: SILENT_LOGGER,
  });
  useServerSelector(client, moduloServerSelector);
  return { client, owned };
}

/** `[user:password@]host[:port]`, as memjs reads it; IPv6 hosts in brackets. */
function parseAddress(address: string) {
  const at = address.lastIndexOf('@');
  const [user, pass] = at >= 0 ? splitOnce(address.slice(0, at), ':') : [];
  const hostPort = address.slice(at + 1);
  const colon = hostPort.lastIndexOf(':');
  const hasPort = colon > hostPort.lastIndexOf(']');
  const host = (hasPort ? hostPort.slice(0, colon) : hostPort).replace(/^\[(.*)\]$/, '$1');
  const port = hasPort ? Number(hostPort.slice(colon + 1)) : 11211;
  return { host, port, user: user || undefined, pass: pass || undefined };
}

function isAddress(address: unknown): address is string {
  if (typeof address !== 'string' || address.includes(',')) return false;
  const { host, port } = parseAddress(address);
  return host.length > 0 && Number.isInteger(port) && port > 0 && port < 65536;
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
}

function definedOnly(options: MemcachedConnectionOptions): Partial<MemcachedSettings> {
  const { maxValueSize, namespaceRefreshMs, connectTimeout } = options;
  return Object.fromEntries(
    Object.entries({ maxValueSize, namespaceRefreshMs, connectTimeout }).filter(
      ([, value]) => value !== undefined,
    ),
  );
}

function assertNumber(option: string, value: unknown, min: number, unit: string): void {
  if (typeof value === 'number' && Number.isFinite(value) && value >= min) return;
  throw new CacheOptionsError(option, value, `Use a number of ${unit}, at least ${min}.`);
}
