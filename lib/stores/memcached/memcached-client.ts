import { Logger } from '@nestjs/common';
import memjs, { type Client } from 'memjs';
import { CacheOptionsError } from '../../errors.js';
import type { MemcachedConnectionOptions } from '../../interfaces/cache-module-options.interface.js';
import { ketamaLabel } from './ketama-ring.js';
import { MemcachedConnection } from './memcached-connection.js';
import { checkMemjs } from './memjs-internals.js';
import { PublicApiServer } from './public-api-server.js';
import { parseServerAddress, type MemcachedServerAddress } from './server-address.js';
import { KetamaServerSelector, useServerSelector } from './server-selection.js';

export const MEMCACHED_STORE_DEFAULTS = {
  maxValueSize: 1_048_576,
  namespaceRefreshMs: 1000,
  connectTimeout: 1000,
  ejectAfterFailures: 0,
  retryEjectedAfterMs: 30_000,
} as const;

export interface MemcachedSettings {
  maxValueSize: number;
  namespaceRefreshMs: number;
  connectTimeout: number;
  ejectAfterFailures: number;
  retryEjectedAfterMs: number;
}

export interface MemcachedClientHandle {
  client: Client;
  /** The connections this store opened; empty for a user's client, which is never closed. */
  owned: ClosableServer[];
  /** The ketama ring routing `client`; absent for a user's client, which keeps its own routing. */
  selector?: KetamaServerSelector;
  /**
   * Whether the store must hold each call to `commandTimeout` with a timer of its own: for a
   * user's client, and for memjs's own `Server` (whose timeouts a steady stream of writes defers).
   */
  timesEachCall: boolean;
  /** Whether `getMany` may send one multi-get per server (else one `get` per key). */
  multiGet: boolean;
}

/** A server connection the store opened and closes. */
export interface ClosableServer {
  /** Closes gracefully, then by force after `graceMs`. */
  shutdown(graceMs: number): Promise<void>;
}

/** memjs logs to `console` by default; failures reach the store as rejections instead. */
const SILENT_LOGGER = { log: (): void => undefined };

export function resolveMemcachedSettings(options: MemcachedConnectionOptions): MemcachedSettings {
  const settings = { ...MEMCACHED_STORE_DEFAULTS, ...definedOnly(options) };
  assertNumber('memcached.maxValueSize', settings.maxValueSize, 1, 'an item size in bytes');
  assertNumber('memcached.namespaceRefreshMs', settings.namespaceRefreshMs, 0, 'milliseconds');
  assertNumber('memcached.connectTimeout', settings.connectTimeout, 1, 'milliseconds');
  assertWhole(
    'memcached.ejectAfterFailures',
    settings.ejectAfterFailures,
    0,
    'failures (0: never)',
  );
  assertNumber('memcached.retryEjectedAfterMs', settings.retryEjectedAfterMs, 1, 'milliseconds');
  return settings;
}

/**
 * The user's client as is, or a memjs client on `servers` that fails fast and quietly: one
 * attempt per call (the cache client above retries), `commandTimeout` per request, no memjs
 * failover, TCP keep-alive, no logging; keys placed on a ketama ring (libmemcached / twemproxy
 * compatible), from which a failing server is ejected only when `ejectAfterFailures` is set.
 * `pinnedKeys` never move on an ejection.
 */
export function createMemcachedClient(
  connection: MemcachedConnectionOptions,
  settings: MemcachedSettings & { commandTimeout: number },
  pinnedKeys: readonly string[] = [],
): MemcachedClientHandle {
  if (connection.client) {
    const { server, serverSelection } = checkMemjs(connection.client);
    const multiGet = server && serverSelection;
    return { client: connection.client, owned: [], timesEachCall: true, multiGet };
  }
  const { servers, username, password } = connection;
  const addresses = Array.isArray(servers) ? servers.map(parseServerAddress) : [];
  if (addresses.length === 0 || !addresses.every((address) => address !== undefined)) {
    throw new CacheOptionsError(
      'memcached.servers',
      servers,
      "Give at least one server as 'host:port' or 'host:port:weight' (or 'user:password@host:port'), or a memjs client as memcached.client.",
    );
  }
  const serverOptions = {
    username,
    password,
    timeout: settings.commandTimeout / 1000,
    conntimeout: settings.connectTimeout / 1000,
    keepAlive: true,
  };
  const support = checkMemjs();
  const Connection = support.server ? MemcachedConnection : PublicApiServer;
  const owned = addresses.map(
    ({ host, port, username: user, password: pass }) =>
      new Connection(host, port, user, pass, { ...serverOptions }),
  );
  const client = new memjs.Client(owned, {
    retries: 1,
    failover: false,
    expires: 0,
    logger: SILENT_LOGGER,
  });
  const selector = new KetamaServerSelector(
    addresses.map(ringMember),
    { afterFailures: settings.ejectAfterFailures, retryAfterMs: settings.retryEjectedAfterMs },
    new Set(pinnedKeys),
    (event, index) => logRingChange(event, owned[index].address, settings),
  );
  if (!support.serverSelection) {
    return { client, owned, timesEachCall: !support.server, multiGet: false };
  }
  owned.forEach((connection, index) => (connection.health = selector.healthOf(index)));
  useServerSelector(client, selector);
  return { client, owned, selector, timesEachCall: !support.server, multiGet: support.server };
}

function ringMember({ host, port, weight }: MemcachedServerAddress) {
  return { label: ketamaLabel(host, port), weight };
}

const ringLog = new Logger('MemcachedStore');

function logRingChange(
  event: 'ejected' | 'readmitted',
  address: string,
  settings: MemcachedSettings,
): void {
  if (event === 'readmitted') {
    ringLog.log(`memcached server ${address} is back on the ring; its keys map to it again.`);
    return;
  }
  ringLog.warn(
    `memcached server ${address} failed ${settings.ejectAfterFailures} times in a row and is off the ring for ${settings.retryEjectedAfterMs} ms (memcached.ejectAfterFailures, memcached.retryEjectedAfterMs); its keys map to the other servers meanwhile.`,
  );
}

function definedOnly(options: MemcachedConnectionOptions): Partial<MemcachedSettings> {
  const { maxValueSize, namespaceRefreshMs, connectTimeout } = options;
  const { ejectAfterFailures, retryEjectedAfterMs } = options;
  const given = {
    maxValueSize,
    namespaceRefreshMs,
    connectTimeout,
    ejectAfterFailures,
    retryEjectedAfterMs,
  };
  return Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
}

function assertNumber(option: string, value: unknown, min: number, unit: string): void {
  if (typeof value === 'number' && Number.isFinite(value) && value >= min) return;
  throw new CacheOptionsError(option, value, `Use a number of ${unit}, at least ${min}.`);
}

function assertWhole(option: string, value: unknown, min: number, unit: string): void {
  if (Number.isInteger(value) && (value as number) >= min) return;
  throw new CacheOptionsError(option, value, `Use a whole number of ${unit}, at least ${min}.`);
}
