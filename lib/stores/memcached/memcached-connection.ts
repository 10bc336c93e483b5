import memjs, { type ServerOptions } from 'memjs';
import { connect, type Socket } from 'node:net';
import type { ServerHealth } from './server-selection.js';

/** The memjs `Server` fields this class manages: public in memjs, `readonly` in its typings. */
interface ServerState {
  _socket?: Socket;
  connected: boolean;
  timeoutSet: boolean;
  responseBuffer: Buffer;
  connectCallbacks: ((socket: Socket) => void)[];
  options: ServerOptions;
}

/**
 * One memcached server: memjs's own `Server` (binary protocol, SASL, request timeouts, callbacks)
 * with its socket lifecycle repaired. In memjs 1.3.2 the `close` event of a socket it already gave
 * up on (after a timeout) detaches the live socket, which then stays open, unreachable, never
 * closed, and can leave a request unsent forever; a timed-out socket is only half-closed, so it
 * lingers while the server is paused; requests in flight hang when the server closes the
 * connection; and a partial response is carried over into the next connection.
 *
 * Here a socket touches the shared state only while it is the current one, every socket given up
 * on is destroyed, a server-side close fails the requests in flight, each connection starts with
 * an empty response buffer, and `shutdown()` leaves no socket behind.
 */
export class MemcachedConnection extends memjs.Server {
  private readonly sockets = new Set<Socket>();
  /** Told of every failure (of a connection, or of the requests in flight) and every answer. */
  health?: ServerHealth;

  /** `host:port`, for messages. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  override sock(sasl: boolean, go: (socket: Socket) => void): void {
    const { _socket: socket, connected } = this.state;
    if (!socket) this.open(go);
    else if (!connected && !sasl) this.onConnect(go);
    else go(socket);
  }

  /** Fails every request in flight (memjs), then destroys every socket of this server. */
  override error(error: Error | string): void {
    const abandoned = [...this.sockets];
    this.health?.failed();
    this.state.responseBuffer = Buffer.alloc(0);
    super.error(error instanceof Error ? error : new Error(String(error)));
    for (const socket of abandoned) socket.destroy();
  }

  /**
   * Ends the connection gracefully (answers already on their way still arrive), then, after
   * `graceMs` at most, fails whatever is left and destroys the sockets.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.health = undefined;
    const open = [...this.sockets];
    if (open.length === 0) return;
    this.state._socket?.end();
    await allClosed(open, graceMs);
    const left = [...this.sockets];
    if (left.length === 0) return;
    this.error(new Error(`Connection to ${this.address} closed.`));
    await allClosed(left, graceMs);
  }

  private get state(): ServerState {
    return this as unknown as ServerState;
  }

  private open(go: (socket: Socket) => void): void {
    const state = this.state;
    const { conntimeout = 1, keepAlive = false, keepAliveDelay = 30 } = state.options;
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    Object.assign(state, { _socket: socket, connected: false, timeoutSet: true });
    state.responseBuffer = Buffer.alloc(0);
    this.sockets.add(socket);
    const current = () => state._socket === socket;
    const onAuthenticated = () => {
      if (current()) this.ready(socket, go);
    };
    socket.once('connect', () => {
      this.once('authenticated', onAuthenticated);
      if (this.username && this.password) this.listSasl();
      else this.emit('authenticated');
    });
    socket.on('data', (data: Buffer) => {
      if (!current()) return;
      this.health?.succeeded();
      this.responseHandler(data);
    });
    socket.on('error', (error) => {
      if (current()) this.error(error);
    });
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.off('authenticated', onAuthenticated);
      if (current()) this.error(new Error(`Connection to ${this.address} closed.`));
    });
    socket.setTimeout(conntimeout * 1000, () => {
      if (current() && !state.connected)
        this.error(new Error('socket timed out connecting to server.'));
    });
    socket.setKeepAlive(keepAlive, keepAliveDelay * 1000);
  }

  /** Connected (and authenticated): send what waited for the connection, as memjs does. */
  private ready(socket: Socket, go: (socket: Socket) => void): void {
    const state = this.state;
    state.connected = true;
    socket.setTimeout(0);
    state.timeoutSet = false;
    go(socket);
    const waiting = state.connectCallbacks;
    state.connectCallbacks = [];
    for (const callback of waiting) callback(socket);
  }
}

/** Resolves when every socket has closed, or after `ms`, whichever comes first. */
function allClosed(sockets: Socket[], ms: number): Promise<void> {
  return new Promise((resolve) => {
    let pending = sockets.length;
    const timer = setTimeout(resolve, ms);
    const closed = () => {
      if (--pending > 0) return;
      clearTimeout(timer);
      resolve();
    };
    for (const socket of sockets) socket.once('close', closed);
  });
}
