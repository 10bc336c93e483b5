import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './servers.js';

/** A TCP relay to a server, which a test cuts (a network partition of one client) and restores. */
export interface TcpProxy {
  readonly port: number;
  /** Closes every relayed connection and refuses new ones. */
  cut(): Promise<void>;
  /** Accepts connections again, on the same port. */
  restore(): Promise<void>;
  stop(): Promise<void>;
  /** Relayed client connections that sent anything since the last call; then counts afresh. */
  takeSenders(): number;
}

export async function startTcpProxy(targetPort: number, host = '127.0.0.1'): Promise<TcpProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  const senders = new Set<Socket>();
  let server: Server | undefined;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = createConnection({ host, port: targetPort });
        track(client);
        track(upstream);
        client.on('data', () => senders.add(client));
        client.pipe(upstream).pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  const close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
    });
  await listen();
  const takeSenders = () => {
    const count = senders.size;
    senders.clear();
    return count;
  };
  return { port, cut: close, restore: listen, stop: close, takeSenders };
}
