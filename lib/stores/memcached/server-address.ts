/** One server of the pool, parsed. */
export interface MemcachedServerAddress {
  host: string;
  port: number;
  /** Share of the keys, relative to the other servers' weights. */
  weight: number;
}

/** A server as `MemcachedStore` takes it: port 11211 and weight 1 when left out. */
export type MemcachedServer = Pick<MemcachedServerAddress, 'host'> &
  Partial<MemcachedServerAddress>;

export const MEMCACHED_DEFAULT_PORT = 11211;
/** A host name or IPv4 address, or an IPv6 address in brackets. */
const HOST_PORT_WEIGHT = /^(\[[0-9a-f:.]+\]|[^\s:[\]@,/]+)(?::(\d{1,5})(?::(\d{1,9}))?)?$/i;

/**
 * `host:port[:weight]`, the twemproxy `servers:` form; IPv6 hosts in brackets. Without a port,
 * `defaultPort` when given, else `undefined`. `undefined` too when the entry is malformed: a port
 * outside 1–65535, a weight that is not a whole number ≥ 1, credentials (`user:pass@`).
 */
export function parseServerAddress(
  address: unknown,
  defaultPort?: number,
): MemcachedServerAddress | undefined {
  if (typeof address !== 'string') return undefined;
  const match = HOST_PORT_WEIGHT.exec(address);
  if (!match) return undefined;
  const [, bracketed, portText, weightText] = match;
  const port = portText === undefined ? defaultPort : Number(portText);
  const weight = weightText === undefined ? 1 : Number(weightText);
  if (port === undefined || port < 1 || port > 65535 || weight < 1) return undefined;
  return { host: bracketed.replace(/^\[(.*)\]$/, '$1'), port, weight };
}

/** A server given to `MemcachedStore`, with its port and weight. */
export function withServerDefaults({
  host,
  port = MEMCACHED_DEFAULT_PORT,
  weight = 1,
}: MemcachedServer): MemcachedServerAddress {
  return { host, port, weight };
}
