import memjs, { type Client } from 'memjs';

/** Binary protocol opcode of SET. */
const SET = 0x01;
/** The status memcached answers for an item over its own size limit (`-I`): E2BIG. */
const VALUE_TOO_LARGE = 0x0003;

/**
 * Stores `value` under `key` exactly as memjs's `set` does (the client's serializer, default
 * expiry, server choice, retries and timeouts, through its public `perform`), but reads the
 * server's status itself: a value over the server's own item-size limit rejects with `tooLarge()`,
 * recognised by its status code where memjs only has a message; any other refusal rejects with an
 * error naming the status.
 */
export function setItem(
  client: Client,
  key: string,
  value: Buffer,
  expires: number,
  tooLarge: () => Error,
): Promise<void> {
  return new Promise((resolve, reject) => {
    client.incrSeq();
    const seq = client.seq;
    const flagsAndExpiry = Buffer.alloc(8);
    flagsAndExpiry.writeUInt32BE(expires || (client.options.expires ?? 0), 4);
    const serialized = client.serializer.serialize(SET, value, flagsAndExpiry);
    const request = memjs.Utils.makeRequestBuffer(
      SET,
      key,
      serialized.extras,
      serialized.value,
      seq,
    );
    client.perform(key, request, seq, (error: Error | null, response?: memjs.Response) => {
      const status = response?.header.status;
      if (error) reject(error);
      else if (status === 0) resolve();
      else if (status === VALUE_TOO_LARGE) reject(tooLarge());
      else
        reject(
          new Error(`memcached refused to store "${key}" (status 0x${status?.toString(16)}).`),
        );
    });
  });
}
