import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';

export type CompressionAlgorithm = 'gzip' | 'brotli' | 'zstd';

/** `compression` and `encryption` as resolved: keys decoded, the threshold in bytes. */
export interface EnvelopeSettings {
  compression?: { threshold: number; algorithm: CompressionAlgorithm };
  /** 32-byte AES keys; the first seals, every one opens. */
  encryption?: { keys: Buffer[] };
}

/** Why an entry could not be opened. */
export class Unopened {
  constructor(readonly reason: 'unknown key' | 'not sealed' | 'tampered' | 'damaged') {}
}
const UNKNOWN_KEY = new Unopened('unknown key');
const NOT_SEALED = new Unopened('not sealed');
const TAMPERED = new Unopened('tampered');
const DAMAGED = new Unopened('damaged');

const COMPRESSED = 'Z';
const SEALED = 'S';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Binds a sealed value to its key: moved under another key on the server, it does not open. */
const AAD_PREFIX = 'nestjs-distributed-cache:v1:';

interface Codec {
  mark: string;
  compress(data: Buffer): Buffer;
  decompress(data: Buffer): Buffer;
}

const CODECS: Record<CompressionAlgorithm, () => Codec> = {
  gzip: () => ({ mark: 'g', compress: zlib.gzipSync, decompress: zlib.gunzipSync }),
  brotli: () => ({
    mark: 'b',
    // Quality 4 rather than the default 11: within a few per cent of its size, many times faster.
    compress: (data) =>
      zlib.brotliCompressSync(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } }),
    decompress: zlib.brotliDecompressSync,
  }),
  zstd: () => {
    const z = zlib as unknown as Record<string, ((data: Buffer) => Buffer) | undefined>;
    const compress = z.zstdCompressSync;
    const decompress = z.zstdDecompressSync;
    if (!compress || !decompress) throw new Error('zstd needs Node.js 22.15 or later');
    return { mark: 'z', compress, decompress };
  },
};

/** Whether this Node.js has the algorithm (zstd: 22.15 and later). */
export function hasCompression(algorithm: CompressionAlgorithm): boolean {
  try {
    CODECS[algorithm]();
    return true;
  } catch {
    return false;
  }
}

/**
 * What stands between an entry's text and the store: compression of large values, then
 * encryption. Compressed: `Z` + the algorithm's letter + the bytes in base64. Sealed: `S` + the
 * key's id (8 hex digits of its SHA-256) + `:` + base64 of IV, GCM tag and ciphertext, the cache
 * key authenticated with it. An entry written before compression was turned on still reads; with
 * encryption on, only sealed entries open: anything else (planted in plain text, tampered with,
 * sealed under a key no longer listed) is unreadable, which the client treats as a miss.
 */
export class ValueEnvelope {
  private readonly codec?: Codec;
  private readonly threshold: number;
  private readonly sealing?: { id: string; key: Buffer };
  private readonly opening = new Map<string, Buffer>();
  private readonly codecsByMark = new Map<string, Codec>();

  constructor({ compression, encryption }: EnvelopeSettings) {
    this.threshold = compression?.threshold ?? Infinity;
    if (compression) this.codec = CODECS[compression.algorithm]();
    for (const algorithm of Object.keys(CODECS) as CompressionAlgorithm[]) {
      if (hasCompression(algorithm)) {
        const codec = CODECS[algorithm]();
        this.codecsByMark.set(codec.mark, codec);
      }
    }
    for (const key of encryption?.keys ?? []) {
      const id = keyId(key);
      this.sealing ??= { id, key };
      this.opening.set(id, key);
    }
  }

  /** Whether it changes anything (compression or encryption on). */
  get active(): boolean {
    return this.codec !== undefined || this.sealing !== undefined;
  }

  seal(key: string, text: string): string {
    let out = text;
    if (this.codec && Buffer.byteLength(text) > this.threshold) {
      const packed = this.codec.compress(Buffer.from(text, 'utf8'));
      out = COMPRESSED + this.codec.mark + packed.toString('base64');
    }
    return this.sealing ? this.encrypt(key, out) : out;
  }

  /**
   * The entry's text, or why it cannot be opened: `unknown key` (sealed under a key no longer
   * listed: expected after a rotation), `not sealed`, `tampered` (or moved under another key),
   * `damaged`.
   */
  open(key: string, stored: string): string | Unopened {
    let text: string | Unopened = stored;
    if (this.sealing) text = stored[0] === SEALED ? this.decrypt(key, stored) : NOT_SEALED;
    if (typeof text !== 'string' || text[0] !== COMPRESSED) return text;
    const codec = this.codecsByMark.get(text[1]);
    if (!codec) return DAMAGED;
    try {
      return codec.decompress(Buffer.from(text.slice(2), 'base64')).toString('utf8');
    } catch {
      return DAMAGED;
    }
  }

  private encrypt(key: string, text: string): string {
    const { id, key: secret } = this.sealing!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', secret, iv);
    cipher.setAAD(Buffer.from(AAD_PREFIX + key, 'utf8'));
    const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
    const sealed = Buffer.concat([iv, cipher.getAuthTag(), body]);
    return `${SEALED}${id}:${sealed.toString('base64')}`;
  }

  private decrypt(key: string, stored: string): string | Unopened {
    if (stored[9] !== ':') return DAMAGED;
    const secret = this.opening.get(stored.slice(1, 9));
    if (!secret) return UNKNOWN_KEY;
    const sealed = Buffer.from(stored.slice(10), 'base64');
    if (sealed.length < IV_BYTES + TAG_BYTES) return DAMAGED;
    try {
      const decipher = createDecipheriv('aes-256-gcm', secret, sealed.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(AAD_PREFIX + key, 'utf8'));
      decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      const body = sealed.subarray(IV_BYTES + TAG_BYTES);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      return TAMPERED;
    }
  }
}

/** Names a key without revealing it: 8 hex digits of its SHA-256. */
function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}
