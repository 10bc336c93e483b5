import { Redis } from 'ioredis';
import memjs from 'memjs';

/** A plain ioredis connection, as a user without any cache library would open one. */
export function rawRedis(url: string, enableAutoPipelining: boolean): Redis {
  return new Redis(url, { enableAutoPipelining });
}

/** A plain memjs client on one server, quiet. */
export function rawMemjs(address: string): memjs.Client & { close(): Promise<void> } {
  const client = memjs.Client.create(address, { logger: { log: () => undefined } });
  return Object.assign(client, { close: async () => client.quit() });
}

export function closeable(redis: Redis): { close(): Promise<void> } {
  return { close: async () => void (await redis.quit()) };
}
