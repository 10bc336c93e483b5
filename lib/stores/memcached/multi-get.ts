import memjs, { type Client, type Response, type Server } from 'memjs';

/** Binary protocol opcodes: get-with-key, quiet (a miss sends nothing back); no-op. */
const GETKQ = 0x0d;
const NOOP = 0x0a;

interface Deserializer {
  serializer: { deserialize(opcode: number, value: Buffer, extras: Buffer): { value: unknown } };
}

/**
 * Reads `keys` from one server in a single write, the way libmemcached's multi-get does on the
 * binary protocol: one quiet GETKQ per key, then a NOOP. The server answers only the hits, each
 * carrying its key, then the NOOP, which closes the batch. Every request of the batch shares one
 * opaque, so memjs keeps one callback, one error handler and one timeout for it: the batch fails
 * as a whole (timeout, closed connection) and never leaves a callback behind.
 *
 * Resolves with the value of each key found (after the client's serializer, as `get` does).
 */
export function getFromServer(
  client: Client,
  server: Server,
  keys: readonly string[],
): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    client.incrSeq();
    const opaque = client.seq;
    const found = new Map<string, Buffer>();
    const { serializer } = client as unknown as Deserializer;
    const onResponse = (response: Response) => {
      const { opcode, status, totalBodyLength } = response.header;
      // memjs drops the callback on an empty response: the NOOP, or a bodiless error.
      if (opcode === NOOP || totalBodyLength === 0) resolve(found);
      else if (status === 0) {
        const { value } = serializer.deserialize(opcode, response.val, response.extras);
        found.set(response.key.toString('utf8'), value as Buffer);
      }
    };
    // memjs keeps a quiet callback until an empty response (the NOOP's) arrives.
    server.onResponse(opaque, Object.assign(onResponse, { quiet: true }));
    server.onError(opaque, reject);
    const requests = keys.map((key) => memjs.Utils.makeRequestBuffer(GETKQ, key, '', '', opaque));
    requests.push(memjs.Utils.makeRequestBuffer(NOOP, '', '', '', opaque));
    server.write(Buffer.concat(requests));
  });
}

/**
 * What `getFromServer` answers, through memjs's public API only (one `get` per key, routed by the
 * client): used when memjs's internals do not look as the one-write multi-get expects.
 */
export async function getEach(
  client: Client,
  keys: readonly string[],
): Promise<Map<string, Buffer>> {
  const answers = await Promise.all(keys.map((key) => client.get(key)));
  const found = new Map<string, Buffer>();
  answers.forEach(({ value }, i) => {
    if (value !== null) found.set(keys[i], value);
  });
  return found;
}
