import { connect, type ConnectionOptions } from 'node:tls';
import type { Cluster, Redis } from 'ioredis';
import {
  explainRedisFailure,
  REDIS_SENTINEL,
  REDIS_SERVER,
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
 * handshake never reaches the client's `error`. Probes the sentinels one after the other, and
 * answers with the first explained refusal. (The master is not probed: its stream is the
 * client's own, whose TLS errors reach `error` as they are.)
 */
export async function sentinelTlsRefusal(
  client: Redis,
  timeoutMs: number,
): Promise<Error | undefined> {
  const { sentinels = [], sentinelTLS } = client.options;
  if (!sentinelTLS) return undefined;
  for (const { host = 'localhost', port = 26379 } of sentinels) {
    const refusal = await tlsRefusal(host, port, sentinelTLS, timeoutMs, REDIS_SENTINEL);
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
  const error = await tlsFailure(host, port, tls, timeoutMs);
  return error && explainRedisFailure(error, `${host}:${port}`, peer);
}

/** The error of a TLS connection and a first round trip to `host:port`, if any. */
function tlsFailure(
  host: string,
  port: number,
  tls: ConnectionOptions,
  timeoutMs: number,
): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ ...tls, host, port });
    const settle = (error?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(error);
    };
    const timer = setTimeout(settle, timeoutMs);
    socket.once('secureConnect', () => socket.write('PING\r\n'));
    socket.once('data', () => settle());
    socket.once('error', settle);
    socket.once('close', () => settle());
  });
}
