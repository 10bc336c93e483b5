import memjs, { type Client, type Response, type Server } from 'memjs';

/** Binary protocol opcodes and statuses used here. */
const GET = 0x00;
const SET = 0x01;
const ADD = 0x02;
const NOOP = 0x0a;
const STATUS_OK = 0x00;
const STATUS_NOT_FOUND = 0x01;
const STATUS_EXISTS = 0x02;
/** Where the 8-byte CAS value sits in a request header. */
const CAS_OFFSET = 16;
/** Flags (4 bytes, 0) and expiry (4 bytes, 0: never) of a stored item. */
const NO_FLAGS_NO_EXPIRY = Buffer.alloc(8);

/** What one server holds under a key: its value and CAS, or nothing. */
export interface ServerItem {
  value?: string;
  /** The item's CAS, the token a conditional write presents. */
  cas?: Buffer;
}

/**
 * Reads `key` from one given server, bypassing the client's key placement, with its CAS (which
 * memjs's own `get` drops). The raw value, without the client's serializer.
 */
export async function getFromOne(client: Client, server: Server, key: string): Promise<ServerItem> {
  const response = await request(client, server, GET, key);
  const { status, cas } = response.header;
  if (status === STATUS_NOT_FOUND) return {};
  if (status !== STATUS_OK) throw statusError('GET', server, status);
  return { value: response.val.toString('utf8'), cas: Buffer.from(cas) };
}

/**
 * Stores `value` under `key` on one given server only if the server still holds what `seen` read:
 * nothing (memcached `add`), or the same item (`set` with its CAS). Resolves `false` when the item
 * changed meanwhile, and stores nothing then. Never expires.
 */
export async function storeIfUnchanged(
  client: Client,
  server: Server,
  key: string,
  value: string,
  seen: ServerItem,
): Promise<boolean> {
  const opcode = seen.cas ? SET : ADD;
  const response = await request(client, server, opcode, key, value, seen.cas);
  const { status } = response.header;
  if (status === STATUS_OK) return true;
  if (status === STATUS_EXISTS || status === STATUS_NOT_FOUND) return false;
  throw statusError(opcode === SET ? 'SET' : 'ADD', server, status);
}

/** A `NOOP` to one given server: resolves once it answers. */
export async function noop(client: Client, server: Server): Promise<void> {
  const { status } = (await request(client, server, NOOP, '')).header;
  if (status !== STATUS_OK) throw statusError('NOOP', server, status);
}

/** One request to one server; rejects as memjs's own calls do (timeout, closed connection). */
function request(
  client: Client,
  server: Server,
  opcode: number,
  key: string,
  value?: string,
  cas?: Buffer,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    client.incrSeq();
    const opaque = client.seq;
    const extras = value === undefined ? '' : NO_FLAGS_NO_EXPIRY;
    const buffer = memjs.Utils.makeRequestBuffer(opcode, key, extras, value ?? '', opaque);
    cas?.copy(buffer, CAS_OFFSET);
    server.onResponse(opaque, resolve);
    server.onError(opaque, reject);
    server.write(buffer);
  });
}

function statusError(command: string, server: Server, status: number): Error {
  return new Error(
    `memcached ${command} on ${server.host}:${server.port} answered status 0x${status.toString(16)}.`,
  );
}
