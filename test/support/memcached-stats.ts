import { createConnection } from 'node:net';

const REPLY_END = /(^|\r\n)(END|OK|ERROR)\r\n$/;
/** `lru_crawler metadump` ends its lines in `\n` only, and may answer BUSY. */
const METADUMP_END = /(^|\n)(END|BUSY.*|ERROR.*)\r\n$/;

/** Sends one text-protocol command to a memcached server and returns its reply up to its end. */
export function memcachedCommand(port: number, command: string, end = REPLY_END): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      reply += chunk;
      if (end.test(reply)) {
        socket.end();
        resolve(reply);
      }
    });
    socket.on('error', reject);
    socket.write(`${command}\r\n`);
  });
}

/** `curr_connections` as the server counts it, not counting the connection that asks. */
export async function memcachedConnections(port: number): Promise<number> {
  return (await memcachedStat(port, 'curr_connections')) - 1;
}

/** A counter from `stats`, such as `cmd_get` or `get_hits`. */
export async function memcachedStat(port: number, name: string): Promise<number> {
  const stats = await memcachedCommand(port, 'stats');
  const match = new RegExp(`^STAT ${name} (\\d+)\\r$`, 'm').exec(stats);
  if (!match) throw new Error(`no ${name} in: ${stats}`);
  return Number(match[1]);
}

/**
 * Every item a memcached server holds, keys decoded. `metadump hash` walks the hash table, which
 * holds every item; `metadump all` walks the LRU lists while the server moves items between them,
 * and can miss an item written a moment before. The crawler answers BUSY while it still walks for
 * an earlier request, so that is asked again (a few times).
 */
export async function memcachedItems(port: number): Promise<{ key: string; exp: number }[]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const dump = await memcachedCommand(port, 'lru_crawler metadump hash', METADUMP_END);
    if (dump.endsWith('END\r\n')) {
      return [...dump.matchAll(/^key=(\S+) exp=(-?\d+) /gm)].map(([, key, exp]) => ({
        key: decodeURIComponent(key),
        exp: Number(exp),
      }));
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`memcached on port ${port} kept refusing lru_crawler metadump`);
}

/** Every key a memcached server holds. */
export async function memcachedKeys(port: number): Promise<string[]> {
  return (await memcachedItems(port)).map(({ key }) => key);
}
