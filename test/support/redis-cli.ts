import { Redis } from 'ioredis';

/** A plain ioredis connection for inspecting a test server from the outside. */
export function inspectRedis(port: number): Redis {
  return new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
}

/** Clients connected to the server, not counting the inspector itself. */
export async function redisConnections(inspector: Redis): Promise<number> {
  const list = (await inspector.client('LIST')) as string;
  return list.trim().split('\n').length - 1;
}
