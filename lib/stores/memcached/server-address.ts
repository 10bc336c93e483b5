/** One entry of `memcached.servers`, parsed. */
export interface MemcachedServerAddress {
  host: string;
  port: number;
  /** Share of the keys, relative to the other servers' weights. */
  weight: number;
  /** Whether the entry gave a port (memcached's 11211 otherwise). */
  hasPort: boolean;
  /** memjs-style credentials in the address (`user:password@host:port`). */
  username?: string;
  password?: string;
}

export const MEMCACHED_DEFAULT_PORT = 11211;
/** A host name or IPv4 address, or an IPv6 address in brackets. */
const HOST_PORT_WEIGHT = /^(\[[0-9a-f:.]+\]|[^\s:[\]@,/]+)(?::(\d{1,5})(?::(\d{1,9}))?)?$/i;

/**
 * `[user:password@]host[:port[:weight]]`, the twemproxy `servers:` form (`host:port:weight`) with
 * memjs's optional credentials; IPv6 hosts in brackets. `undefined` when the entry is malformed:
 * a port outside 1–65535 or a weight that is not a whole number ≥ 1.
 */
export function parseServerAddress(address: unknown): MemcachedServerAddress | undefined {
  if (typeof address !== 'string') return undefined;
  const at = address.lastIndexOf('@');
  const match = HOST_PORT_WEIGHT.exec(address.slice(at + 1));
  if (!match) return undefined;
  const [, bracketed, portText, weightText] = match;
  const port = portText === undefined ? MEMCACHED_DEFAULT_PORT : Number(portText);
  const weight = weightText === undefined ? 1 : Number(weightText);
  if (port < 1 || port > 65535 || weight < 1) return undefined;
  const host = bracketed.replace(/^\[(.*)\]$/, '$1');
  const parsed: MemcachedServerAddress = { host, port, weight, hasPort: portText !== undefined };
  if (at >= 0) {
    const credentials = address.slice(0, at);
    const colon = credentials.indexOf(':');
    parsed.username = (colon < 0 ? credentials : credentials.slice(0, colon)) || undefined;
    parsed.password = (colon < 0 ? '' : credentials.slice(colon + 1)) || undefined;
  }
  return parsed;
}
