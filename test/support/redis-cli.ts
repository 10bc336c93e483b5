import { Redis } from 'ioredis';

/** A plain ioredis connection for inspecting a test server from the outside. */
export function inspectRedis(port: number): Redis {
  return new Redis({ host: '127.0.0.1', port, lazyConnect: false, maxRetriesPerRequest: 1 });
}
