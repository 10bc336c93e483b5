import { createConnection } from 'node:net';

/** Sends one text-protocol command to a memcached server and returns its reply up to `END`. */
export function memcachedCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      reply += chunk;
      if (/(^|\r\n)(END|OK|ERROR)\r\n$/.test(reply)) {
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
  const stats = await memcachedCommand(port, 'stats');
  const match = /STAT curr_connections (\d+)/.exec(stats);
  if (!match) throw new Error(`no curr_connections in: ${stats}`);
  return Number(match[1]) - 1;
}
