import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { RedisTlsSettings } from './servers.js';

/**
 * An ioredis connection for inspecting a test server from the outside; over TLS when the server
 * has `tls` settings (showing the server's own certificate as a client one, which a server with
 * `tls-auth-clients yes` accepts: the same CA signed it).
 */
export function inspectRedis(port: number, tls?: RedisTlsSettings): Redis {
  return new Redis({
    host: '127.0.0.1',
    port,
    maxRetriesPerRequest: 1,
    ...(tls && {
      tls: {
        ca: readFileSync(tls.ca, 'utf8'),
        cert: readFileSync(tls.cert, 'utf8'),
        key: readFileSync(tls.key, 'utf8'),
      },
    }),
  });
}

/** `redis-cli`'s arguments to reach a server with `tls` settings (none without). */
export function redisCliTlsArgs(tls: RedisTlsSettings | undefined): string[] {
  return tls ? ['--tls', '--cacert', tls.ca, '--cert', tls.cert, '--key', tls.key] : [];
}

/** Clients connected to the server, not counting the inspector itself. */
export async function redisConnections(inspector: Redis): Promise<number> {
  const list = (await inspector.client('LIST')) as string;
  return list.trim().split('\n').length - 1;
}
