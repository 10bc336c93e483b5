import memjs, { type Client, type Response, type Server } from 'memjs';
import { warnDriverFallback } from '../driver-fallback.js';

/** The memjs version pinned in package.json: the internals below were read from its source. */
export const MEMJS_TESTED_VERSION = '1.3.2';

/** What of memjs's private behaviour the store may rely on, for one client. */
export interface MemjsSupport {
  /**
   * memjs's `Server` keeps the state `MemcachedConnection` manages (socket, buffers, callbacks,
   * request deadlines) and answers quiet requests as the one-write multi-get expects.
   */
  server: boolean;
  /** memjs's `Client` sends each key to the server its `getServer(key)` names (the ketama ring). */
  serverSelection: boolean;
}

type ServerClass = new (...args: ConstructorParameters<typeof memjs.Server>) => Server;
type ClientClass = new (servers: Server[], options?: object) => Client;

const serverChecks = new WeakMap<ServerClass, string | undefined>();
const clientChecks = new WeakMap<ClientClass, string | undefined>();

/**
 * Checks, once per class, that the memjs classes of `client` (memjs's own when it is omitted)
 * behave as the package expects, on objects made in memory (nothing is sent). What does not is
 * logged once, naming what the store does instead.
 */
export function checkMemjs(client?: Client): MemjsSupport {
  const Server = (client?.servers[0]?.constructor ?? memjs.Server) as ServerClass;
  const Client = (client?.constructor ?? memjs.Client) as ClientClass;
  if (!serverChecks.has(Server)) serverChecks.set(Server, serverDifference(Server));
  if (!clientChecks.has(Client)) clientChecks.set(Client, clientDifference(Client, Server));
  const server = serverChecks.get(Server);
  const selection = clientChecks.get(Client);
  if (server || selection) {
    warnDriverFallback({
      dependency: 'memjs',
      tested: MEMJS_TESTED_VERSION,
      found: [server, selection].filter(Boolean).join('; '),
      lost: [
        server &&
          "the repaired connection class and its request timer (memjs's own Server is used, and each call is timed by a timer of its own) and one-write multi-gets (getMany sends one get per key)",
        selection &&
          'the ketama ring (memjs places keys by its own modulo hash: other ketama clients look for them elsewhere, and adding a server moves most keys)',
      ]
        .filter(Boolean)
        .join('; '),
    });
  }
  return { server: !server, serverSelection: !selection };
}

/**
 * memjs 1.3.2's `Server` timeouts are the socket's idle timeout, which every write postpones: under
 * steady traffic to a hung server they do not fire. Its message is the only way to recognise one
 * (no class, no code): the one place the package reads a memjs message, for the servers of a
 * client handed in, checked against a real client by test/fault/user-client-timeout.spec.ts.
 */
export function isMemjsTimeout(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { message } = error;
  return (
    message === 'socket timed out waiting on response.' ||
    message === 'socket timed out connecting to server.'
  );
}

/** What memjs 1.3.2's `Server` fails its requests with when the server answers a SASL error. */
const MEMJS_AUTH_FAILURE = 'Memcached server authentication failed!';

/**
 * Whether memjs failed a request because the server refused the SASL credentials (or wants some):
 * memjs 1.3.2 reads the binary protocol's status (0x20, authentication error) and fails every
 * request in flight with this text, a string, not an `Error` (no class, no code, no status kept).
 * The one place the package reads that text; checked against a real `memcached -S` by
 * test/fault/memcached-sasl.spec.ts.
 */
export function isMemjsAuthFailure(error: unknown): boolean {
  const text = error instanceof Error ? error.message : error;
  return text === MEMJS_AUTH_FAILURE;
}

const SERVER_METHODS = [
  'sock',
  'error',
  'write',
  'respond',
  'responseHandler',
  'listSasl',
  'onConnect',
  'onResponse',
  'onError',
];

/** What differs in memjs's `Server`, or `undefined` when it looks as `MemcachedConnection` expects. */
function serverDifference(Server: ServerClass): string | undefined {
  const missing = SERVER_METHODS.filter((name) => typeof Server.prototype[name] !== 'function');
  if (missing.length > 0) return `its Server has no ${missing.join(', ')}()`;
  try {
    return serverStateDifference(new Server('127.0.0.1', 0, undefined, undefined, { timeout: 1 }));
  } catch (error) {
    return `its Server could not be probed (${String(error)})`;
  }
}

/** The private state of a fresh `Server`, and how it answers a quiet request, then fails one. */
function serverStateDifference(server: Server): string | undefined {
  const state = server as unknown as Record<string, unknown> & ServerInternals;
  const shaped =
    Buffer.isBuffer(state.responseBuffer) &&
    state.connected === false &&
    state._socket === undefined &&
    Array.isArray(state.connectCallbacks) &&
    Array.isArray(state.requestTimeouts) &&
    isObject(state.responseCallbacks) &&
    isObject(state.errorCallbacks) &&
    state.options?.conntimeout === 2 &&
    typeof state.options.keepAlive === 'boolean' &&
    typeof state.options.keepAliveDelay === 'number';
  if (!shaped) return 'its Server keeps its socket, buffers, callbacks or options elsewhere';

  const statuses: number[] = [];
  const failures: Error[] = [];
  const quiet = Object.assign((response: Response) => statuses.push(response.header.status), {
    quiet: true,
  });
  server.onResponse(7, quiet);
  server.onError(7, (error) => failures.push(error));
  state.requestTimeouts.push(0);
  server.responseHandler(response(7, 0x01, 3)); // a quiet miss: the batch goes on
  const batchOpen = state.responseCallbacks[7] === quiet && state.requestTimeouts.length === 1;
  server.responseHandler(response(7, 0x00, 0)); // the empty answer that closes the batch
  const batchClosed =
    state.responseCallbacks[7] === undefined &&
    state.errorCallbacks[7] === undefined &&
    state.requestTimeouts.length === 0;
  if (!batchOpen || !batchClosed || statuses.join() !== '1,0') {
    return 'its Server does not answer quiet requests as expected';
  }
  server.onError(8, (error) => failures.push(error));
  server.error(new Error('probe'));
  if (failures.length !== 1 || Object.keys(state.errorCallbacks).length > 0) {
    return 'its Server does not fail the requests in flight as expected';
  }
  return undefined;
}

/** What differs in memjs's `Client`, or `undefined` when it routes and numbers requests as expected. */
function clientDifference(Client: ClientClass, Server: ServerClass): string | undefined {
  try {
    const servers = [1, 2].map((port) => new Server('127.0.0.1', port));
    const client = new Client(servers, { logger: { log: () => undefined } });
    const probe = client as unknown as { server(key: string): Server | null };
    const seq = client.seq;
    client.incrSeq();
    Object.assign(client, { getServer: () => 1 });
    if (
      typeof client.perform !== 'function' ||
      typeof client.serializer?.serialize !== 'function' ||
      typeof client.serializer?.deserialize !== 'function' ||
      client.seq !== seq + 1 ||
      probe.server('key') !== servers[1]
    ) {
      return 'its Client does not send each key to the server getServer() names';
    }
    return undefined;
  } catch (error) {
    return `its Client could not be probed (${String(error)})`;
  }
}

interface ServerInternals {
  _socket?: unknown;
  connected: boolean;
  responseBuffer: Buffer;
  connectCallbacks: unknown[];
  requestTimeouts: number[];
  responseCallbacks: Record<number, unknown>;
  errorCallbacks: Record<number, unknown>;
  options?: { conntimeout?: number; keepAlive?: unknown; keepAliveDelay?: unknown };
}

/** A binary-protocol response header (and `bodyLength` zero bytes of body) for request `opaque`. */
function response(opaque: number, status: number, bodyLength: number): Buffer {
  const buffer = Buffer.alloc(24 + bodyLength);
  buffer.writeUInt8(0x81, 0);
  buffer.writeUInt16BE(status, 6);
  buffer.writeUInt32BE(bodyLength, 8);
  buffer.writeUInt32BE(opaque, 12);
  return buffer;
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null;
}
