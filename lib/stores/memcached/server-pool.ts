import type { Response, Server } from 'memjs';
import { ConnectionLanes } from '../connection-lanes.js';
import type { ClosableServer } from './memcached-client.js';
import type { ServerHealth } from './server-selection.js';

/** What the store opens per server: `MemcachedConnection`, or memjs's own `Server` (fallback). */
export interface ServerConnection extends ClosableServer {
  readonly host: string;
  readonly port: number | string;
  readonly address: string;
  health?: ServerHealth;
  onResponse(seq: number, callback: ResponseCallback): void;
  onError(seq: number, callback: (error: Error) => void): void;
  write(blob: Buffer): void;
}

/** memjs's response callback; a `quiet` one stays until an empty response closes its batch. */
type ResponseCallback = ((response: Response) => void) & { quiet?: boolean };

interface Request {
  response?: ResponseCallback;
  error?: (error: Error) => void;
}

/** Binary protocol header: key length, extras length, opaque; then extras, key, value. */
const KEY_LENGTH_OFFSET = 2;
const EXTRAS_LENGTH_OFFSET = 4;
const OPAQUE_OFFSET = 12;
const HEADER_BYTES = 24;
/** Opcodes that read only: GET, GETQ, NOOP, VERSION, GETK, GETKQ, STAT. Anything else writes. */
const READ_OPCODES = new Set([0x00, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x10]);

/**
 * `memcached.poolSize` connections to one server, in the place of one in the memjs client's
 * `servers` (the ring is unchanged: the pool is per server). memjs and the store register a
 * request's callbacks (`onResponse`, `onError`) and then `write` it: the connection is chosen at
 * the write, by `ConnectionLanes` (fewest requests in flight, counted here, ties in turn; a key
 * with a write in flight follows it), and the callbacks are registered on it, wrapped to count the
 * request settled when it is answered or fails.
 */
export class ServerPool implements ClosableServer {
  readonly host: string;
  readonly port: number | string;
  private readonly lanes: ConnectionLanes;
  /** Callbacks registered for a request not written yet, by its opaque. */
  private readonly requests = new Map<number, Request>();

  constructor(private readonly connections: readonly ServerConnection[]) {
    ({ host: this.host, port: this.port } = connections[0]);
    this.lanes = new ConnectionLanes(connections.length);
  }

  get address(): string {
    return this.connections[0].address;
  }

  /** Every connection reports to the same health listener: a failure of any is the server's. */
  set health(health: ServerHealth | undefined) {
    for (const connection of this.connections) connection.health = health;
  }

  onResponse(seq: number, callback: ResponseCallback): void {
    this.requestOf(seq).response = callback;
  }

  onError(seq: number, callback: (error: Error) => void): void {
    this.requestOf(seq).error = callback;
  }

  write(blob: Buffer): void {
    const seq = blob.readUInt32BE(OPAQUE_OFFSET);
    const request = this.requests.get(seq);
    this.requests.delete(seq);
    const writes = !READ_OPCODES.has(blob[1]);
    const key = writes || this.lanes.holdsWrites ? keyOf(blob) : undefined;
    const lane = this.lanes.choose(key);
    const connection = this.connections[lane];
    if (request) this.register(connection, lane, seq, request, writes ? key : undefined);
    connection.write(blob);
  }

  async shutdown(graceMs: number): Promise<void> {
    await Promise.all(this.connections.map((connection) => connection.shutdown(graceMs)));
  }

  /** The pool as memjs's client holds it: in the place of one `Server`. */
  asServer(): Server {
    return this as unknown as Server;
  }

  private requestOf(seq: number): Request {
    let request = this.requests.get(seq);
    if (!request) this.requests.set(seq, (request = {}));
    return request;
  }

  private register(
    connection: ServerConnection,
    lane: number,
    seq: number,
    { response, error }: Request,
    written: string | undefined,
  ): void {
    let open = true;
    const settle = () => {
      if (!open) return;
      open = false;
      this.lanes.settled(lane, written);
    };
    this.lanes.sent(lane, written);
    if (response) {
      const quiet = response.quiet === true;
      const answered = (answer: Response) => {
        if (!quiet || answer.header.totalBodyLength === 0) settle();
        response(answer);
      };
      connection.onResponse(seq, Object.assign(answered, { quiet }));
    }
    connection.onError(seq, (failure) => {
      settle();
      error?.(failure);
    });
  }
}

/** The key of the (first) request in `blob`, as bytes in a string; `undefined` without one. */
function keyOf(blob: Buffer): string | undefined {
  const length = blob.readUInt16BE(KEY_LENGTH_OFFSET);
  if (length === 0) return undefined;
  const start = HEADER_BYTES + blob[EXTRAS_LENGTH_OFFSET];
  return blob.toString('latin1', start, start + length);
}
