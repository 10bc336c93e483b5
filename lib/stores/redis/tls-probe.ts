import { connect, type ConnectionOptions } from 'node:tls';
import type { Cluster } from 'ioredis';
import { explainRedisFailure } from './redis-failures.js';

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
  const error = await tlsFailure(node.slice(0, at), Number(node.slice(at + 1)), tls, timeoutMs);
  return error && explainRedisFailure(error, node);
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
