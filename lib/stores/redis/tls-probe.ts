import { connect, type ConnectionOptions } from 'node:tls';
import type { Cluster, Redis } from 'ioredis';
import {
  explainRedisFailure,
  REDIS_SENTINEL,
  REDIS_SERVER,
  sentinelWithoutTls,
  type TlsPeer,
} from './redis-failures.js';

/**
 * Why TLS to a Cluster node fails, explained, or `undefined` when it does not (or not for a TLS
 * reason). ioredis's Cluster reads its slot map over a throwaway connection whose errors it drops,
 * so a refused handshake reaches the Cluster's `node error` only as a closed connection. One TLS
 * connection of our own to `node` (`host:port`) with the nodes' TLS options and a `PING` on it
 * (a refused client certificate shows as an alert on the first read, after the handshake) says
 * why, with Node's error code.
 */
export async function clusterTlsRefusal(
  cluster: Cluster,
  node: string,
  timeoutMs: number,
): Promise<Error | undefined> {
  const tls = cluster.options.redisOptions?.tls;
  const at = node.lastIndexOf(':');
  if (!tls || at < 0) return undefined;
  return tlsRefusal(node.slice(0, at), Number(node.slice(at + 1)), tls, timeoutMs, REDIS_SERVER);
}

/**
 * Why TLS to the sentinels fails, explained, or `undefined` when it does not (or not for a TLS
 * reason). ioredis asks each sentinel where the master is over a connection of its own (with
 * `sentinelTLS`, not `tls`) and reports only "All sentinels are unreachable", so a refused
 * handshake never reaches the client's `error`. Probes the sentinels one after the other with
 * `sentinelTLS` and answers with the first explained refusal; without `sentinelTLS`, a sentinel
 * that completes a TLS handshake is one ioredis reached in plain TCP on a TLS port. (The master
 * is not probed: its stream is the client's own, whose TLS errors reach `error` as they are.)
 */
export async function sentinelTlsRefusal(
  client: Redis,
  timeoutMs: number,
): Promise<Error | undefined> {
  const { sentinels = [], sentinelTLS } = client.options;
  for (const { host = 'localhost', port = 26379 } of sentinels) {
    const refusal = sentinelTLS
      ? await tlsRefusal(host, port, sentinelTLS, timeoutMs, REDIS_SENTINEL)
      : await plainToTls(host, port, timeoutMs);
    if (refusal) return refusal;
  }
  return undefined;
}

/** The failure of a TLS connection and a first round trip to `host:port`, explained, if any. */
async function tlsRefusal(
  host: string,
  port: number,
  tls: ConnectionOptions,
  timeoutMs: number,
  peer: TlsPeer,
): Promise<Error | undefined> {
  const { error } = await tlsRoundTrip(host, port, tls, timeoutMs);
  return error && explainRedisFailure(error, `${host}:${port}`, peer);
}

/** A sentinel reached without `sentinelTLS` that speaks TLS on that port, explained. */
async function plainToTls(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<Error | undefined> {
  // Only whether the port speaks TLS matters here, not whom its certificate names.
  const { secured } = await tlsRoundTrip(host, port, { rejectUnauthorized: false }, timeoutMs);
  return secured ? sentinelWithoutTls(`${host}:${port}`) : undefined;
}

interface RoundTrip {
  /** The TLS handshake completed (as far as the client sees it). */
  secured: boolean;
  /** Why the connection or the first round trip failed, if it did. */
  error?: Error;
}

/** A TLS connection and a first round trip (`PING`) to `host:port`: how far it got. */
function tlsRoundTrip(
  host: string,
  port: number,
  tls: ConnectionOptions,
  timeoutMs: number,
): Promise<RoundTrip> {
  return new Promise((resolve) => {
    const socket = connect({ ...tls, host, port });
    let secured = false;
    const settle = (error?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ secured, error });
    };
    const timer = setTimeout(settle, timeoutMs);
    socket.once('secureConnect', () => {
      secured = true;
      socket.write('PING\r\n');
    });
    socket.once('data', () => settle());
    socket.once('error', settle);
    socket.once('close', () => settle());
  });
}
