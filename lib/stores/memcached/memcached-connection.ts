import memjs, { type ServerOptions } from 'memjs';
import { connect, type Socket } from 'node:net';
import { CacheConnectTimeoutError, CacheTimeoutError } from '../../errors.js';
import { saslRefused } from './memcached-errors.js';
import { isMemjsAuthFailure } from './memjs-internals.js';
import type { ServerHealth } from './server-selection.js';

/**
 * The memjs `Server` fields this class manages: public in memjs, `readonly` in its typings. Checked
 * at startup by `checkMemjs()` (memjs-internals.ts); memjs's own `Server` is used when they differ.
 */
interface ServerState {
  _socket?: Socket;
  connected: boolean;
  responseBuffer: Buffer;
  connectCallbacks: ((socket: Socket) => void)[];
  /**
   * When each request written must be answered by (`performance.now()`), oldest first: memjs's
   * `respond` drops the first one as each answer arrives, and its `error` empties the list.
   */
  requestTimeouts: number[];
  /** By request sequence number: what answers and fails each request registered here. */
  responseCallbacks: Record<number, unknown>;
  errorCallbacks: Record<number, (error: Error) => void>;
  options: ServerOptions;
}

/**
 * One memcached server: memjs's own `Server` (binary protocol, SASL, callbacks) with its socket
 * lifecycle and request timeouts repaired. In memjs 1.3.2 the `close` event of a socket it already gave
 * up on (after a timeout) detaches the live socket, which then stays open, unreachable, never
 * closed, and can leave a request unsent forever; a timed-out socket is only half-closed, so it
 * lingers while the server is paused; requests in flight hang when the server closes the
 * connection; and a partial response is carried over into the next connection.
 *
 * memjs also times requests with the socket's idle timeout, which every write postpones: under
 * steady traffic to a hung server, no request timed out until the traffic stopped.
 *
 * Here a socket touches the shared state only while it is the current one, every socket given up
 * on is destroyed, a server-side close fails the requests in flight, each connection starts with
 * an empty response buffer, and `shutdown()` leaves no socket behind. Requests are timed by one
 * timer per connection, armed for the oldest request in flight, which fails them all with a
 * `CacheTimeoutError` (a slow connection, with a `CacheConnectTimeoutError`).
 */
export class MemcachedConnection extends memjs.Server {
  private readonly sockets = new Set<Socket>();
  /** Longest wait for an answer, in milliseconds (memjs's `timeout` option is in seconds). */
  private readonly timeoutMs: number;
  /** Armed while requests are in flight, for the oldest one's deadline. */
  private requestTimer?: NodeJS.Timeout;
  /** Requests written while the connection is not up, sent once it is. */
  private waiting: Buffer[] = [];
  /** Armed while requests wait for the connection, for the first one's deadline. */
  private waitTimer?: NodeJS.Timeout;
  /** Told of every failure (of a connection, or of the requests in flight) and every answer. */
  health?: ServerHealth;

  constructor(
    host: string,
    port: number,
    username: string | undefined,
    password: string | undefined,
    options: ServerOptions & { timeout: number },
  ) {
    super(host, port, username, password, options);
    this.timeoutMs = Math.round(options.timeout * 1000);
  }

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

  /** Sends at once when connected, else once connected (within the timeout, or fails). */
  override write(blob: Buffer): void {
    const { _socket: socket, connected } = this.state;
    if (socket && connected) return this.send(socket, blob);
    if (this.waiting.length === 0) {
      this.sock(false, this.sendWaiting);
      this.waitTimer = setTimeout(this.failWaiting, this.timeoutMs);
      this.waitTimer.unref();
    }
    this.waiting.push(blob);
  }

  /** Fails every request in flight (memjs), then destroys every socket of this server. */
  override error(error: Error | string): void {
    const abandoned = [...this.sockets];
    clearTimeout(this.requestTimer);
    this.requestTimer = undefined;
    this.stopWaiting();
    this.health?.failed();
    this.state.responseBuffer = Buffer.alloc(0);
    super.error(this.asError(error));
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

  /** memjs fails a refused SASL login with a bare string: made a `CacheAuthError`. */
  private asError(error: Error | string): Error {
    if (isMemjsAuthFailure(error)) return saslRefused(this.address, error);
    return error instanceof Error ? error : new Error(String(error));
  }

  private get state(): ServerState {
    return this as unknown as ServerState;
  }

  private send(socket: Socket, blob: Buffer): void {
    socket.write(blob);
    this.state.requestTimeouts.push(performance.now() + this.timeoutMs);
    if (!this.requestTimer) this.armRequestTimer(this.timeoutMs);
  }

  private armRequestTimer(ms: number): void {
    this.requestTimer = setTimeout(this.expireRequests, ms);
    this.requestTimer.unref();
  }

  private readonly sendWaiting = (socket: Socket): void => {
    const blobs = this.waiting;
    this.stopWaiting();
    for (const blob of blobs) this.send(socket, blob);
  };

  /**
   * The connection is not up a timeout after the first request waited for it: the waiting
   * requests fail (every request registered here waits: none is in flight without a connection),
   * and connecting goes on, for the calls that come next.
   */
  private readonly failWaiting = (): void => {
    this.waitTimer = undefined;
    if (this.waiting.length === 0) return;
    this.waiting = [];
    const state = this.state;
    const failed = state.errorCallbacks;
    state.responseCallbacks = {};
    state.errorCallbacks = {};
    this.health?.failed();
    const error = new CacheTimeoutError('memcached', this.timeoutMs);
    for (const seq of Object.keys(failed)) failed[Number(seq)](error);
  };

  private stopWaiting(): void {
    clearTimeout(this.waitTimer);
    this.waitTimer = undefined;
    this.waiting = [];
  }

  /** At the oldest request's deadline: fails every request in flight, unless it was answered. */
  private readonly expireRequests = (): void => {
    this.requestTimer = undefined;
    const deadlines = this.state.requestTimeouts;
    if (deadlines.length === 0) return;
    const wait = deadlines[0] - performance.now();
    if (wait > 0) this.armRequestTimer(wait);
    else this.error(new CacheTimeoutError('memcached', this.timeoutMs));
  };

  private open(go: (socket: Socket) => void): void {
    const state = this.state;
    const { conntimeout = 1, keepAlive = false, keepAliveDelay = 30 } = state.options;
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    Object.assign(state, { _socket: socket, connected: false });
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
      if (current() && !state.connected) {
        this.error(new CacheConnectTimeoutError('memcached', this.address, conntimeout * 1000));
      }
    });
    socket.setKeepAlive(keepAlive, keepAliveDelay * 1000);
  }

  /** Connected (and authenticated): send what waited for the connection, as memjs does. */
  private ready(socket: Socket, go: (socket: Socket) => void): void {
    const state = this.state;
    state.connected = true;
    socket.setTimeout(0);
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
