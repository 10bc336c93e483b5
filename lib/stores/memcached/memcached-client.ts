import { Logger } from '@nestjs/common';
import memjs, { type Client, type Server } from 'memjs';
import { CACHE_DEFAULTS } from '../../options/cache-defaults.js';
import { definedOnly } from '../../options/option-checks.js';
import type { MemcachedSettings } from '../../options/resolved-options.js';
import { ketamaLabel } from './ketama-ring.js';
import { MemcachedConnection } from './memcached-connection.js';
import { checkMemjs } from './memjs-internals.js';
import { PublicApiServer } from './public-api-server.js';
import {
  withServerDefaults,
  type MemcachedServer,
  type MemcachedServerAddress,
} from './server-address.js';
import { KetamaServerSelector, useServerSelector } from './server-selection.js';
import { ServerPool, type ServerConnection } from './server-pool.js';

export type { MemcachedSettings };

/** What `MemcachedStore` takes: the settings, any of them left out taking its default. */
export type MemcachedStoreConnection = Partial<Omit<MemcachedSettings, 'servers'>> & {
  servers?: readonly MemcachedServer[];
};

export interface MemcachedClientHandle {
  client: Client;
  /**
   * The connections this store opened, one entry per server (a `ServerPool` of `poolSize`
   * connections, or the one connection); empty for a user's client, which is never closed.
   */
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

/** `connection` with the defaults (`CACHE_DEFAULTS.memcached`) filled in; it is not checked again. */
export function withMemcachedDefaults(connection: MemcachedStoreConnection): MemcachedSettings {
  const { servers = [], ...settings } = connection;
  return {
    maxValueSize: CACHE_DEFAULTS.maxValueSize,
    ...CACHE_DEFAULTS.memcached,
    ...(definedOnly(settings) as Partial<MemcachedSettings>),
    servers: servers.map(withServerDefaults),
  };
}

/**
 * The user's client as is, or a memjs client on `servers` (`poolSize` connections to each) that fails fast and quietly: one
 * attempt per call (the cache client above retries), `commandTimeout` per request, no memjs
 * failover, TCP keep-alive, no logging; keys placed on a ketama ring (libmemcached / twemproxy
 * compatible), from which a failing server is ejected only when `ejectAfterFailures` is set.
 */
export function createMemcachedClient(
  settings: MemcachedSettings & { commandTimeout: number },
): MemcachedClientHandle {
  if (settings.client) {
    const { server, serverSelection } = checkMemjs(settings.client);
    const multiGet = server && serverSelection;
    return { client: settings.client, owned: [], timesEachCall: true, multiGet };
  }
  const { servers: addresses, username, password } = settings;
  const serverOptions = {
    username,
    password,
    timeout: settings.commandTimeout / 1000,
    conntimeout: settings.connectTimeout / 1000,
    keepAlive: true,
  };
  const support = checkMemjs();
  const Connection = support.server ? MemcachedConnection : PublicApiServer;
  const owned = addresses.map(({ host, port }) =>
    pooled(
      settings.poolSize,
      () => new Connection(host, port, username, password, { ...serverOptions }),
    ),
  );
  const client = new memjs.Client(owned.map(asServer), {
    retries: 1,
    failover: false,
    expires: 0,
    logger: SILENT_LOGGER,
  });
  const selector = new KetamaServerSelector(
    addresses.map(ringMember),
    { afterFailures: settings.ejectAfterFailures, retryAfterMs: settings.retryEjectedAfterMs },
    (event, index) => logRingChange(event, owned[index].address, settings),
  );
  if (!support.serverSelection) {
    return { client, owned, timesEachCall: !support.server, multiGet: false };
  }
  owned.forEach((connection, index) => (connection.health = selector.healthOf(index)));
  useServerSelector(client, selector);
  return { client, owned, selector, timesEachCall: !support.server, multiGet: support.server };
}

/** One connection to a server, or a pool of `size`. */
function pooled(size: number, open: () => ServerConnection): ServerConnection | ServerPool {
  if (size === 1) return open();
  return new ServerPool(Array.from({ length: size }, open));
}

function asServer(server: ServerConnection | ServerPool): Server {
  return server instanceof ServerPool ? server.asServer() : (server as unknown as Server);
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
