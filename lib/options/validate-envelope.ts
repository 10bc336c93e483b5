import type {
  CacheModuleOptions,
  CompressionOptions,
  EncryptionOptions,
} from '../interfaces/cache-module-options.interface.js';
import {
  hasCompression,
  type CompressionAlgorithm,
  type EnvelopeSettings,
} from '../serialization/value-envelope.js';
import { CACHE_DEFAULTS } from './cache-defaults.js';
import { definedOnly, optionError, section, wholeNumber } from './option-checks.js';
import { refuseUnknownKeys } from './unknown-keys.js';

const COMPRESSION_KEYS = { threshold: true, algorithm: true } satisfies Record<
  keyof CompressionOptions,
  true
>;
const ENCRYPTION_KEYS = { keys: true } satisfies Record<keyof EncryptionOptions, true>;
const ALGORITHMS: readonly CompressionAlgorithm[] = ['gzip', 'brotli', 'zstd'];
const KEY_BYTES = 32;

/** `compression` and `encryption`, checked; `undefined` when neither is on. */
export function resolveEnvelope(options: CacheModuleOptions): EnvelopeSettings | undefined {
  const compression = resolveCompression(options.compression);
  const encryption =
    options.encryption === undefined ? undefined : resolveEncryption(options.encryption);
  if (!compression && !encryption) return undefined;
  return { ...(compression ? { compression } : {}), ...(encryption ? { encryption } : {}) };
}

function resolveCompression(value: unknown): EnvelopeSettings['compression'] {
  if (value === undefined || value === false) return undefined;
  const bag =
    value === true
      ? {}
      : section('compression', value, "true, or { threshold: 1024, algorithm: 'gzip' }");
  refuseUnknownKeys('compression', bag, { keys: new Set(Object.keys(COMPRESSION_KEYS)) });
  const given = { ...CACHE_DEFAULTS.compression, ...definedOnly(bag) };
  const algorithm = given.algorithm as CompressionAlgorithm;
  if (!ALGORITHMS.includes(algorithm)) {
    throw optionError('compression.algorithm', algorithm, "Use 'gzip', 'brotli' or 'zstd'.");
  }
  if (!hasCompression(algorithm)) {
    throw optionError(
      'compression.algorithm',
      algorithm,
      `This Node.js (${process.version}) has no zstd (22.15 and later do): use 'gzip' or 'brotli'.`,
    );
  }
  return { threshold: wholeNumber('compression.threshold', given.threshold, 0), algorithm };
}

function resolveEncryption(value: unknown): EnvelopeSettings['encryption'] {
  const bag = section('encryption', value, '{ keys: [process.env.CACHE_KEY] }');
  refuseUnknownKeys('encryption', bag, { keys: new Set(Object.keys(ENCRYPTION_KEYS)) });
  const { keys } = bag;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw optionError(
      'encryption.keys',
      keys,
      'List at least one base64 key of 32 bytes (openssl rand -base64 32); the first encrypts.',
    );
  }
  return { keys: keys.map((key, i) => decodeKey(key, `encryption.keys[${i}]`)) };
}

/** Never echoes the key: a message could end up in a log. */
function decodeKey(key: unknown, option: string): Buffer {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'base64') : undefined;
  const canonical = bytes?.toString('base64') === (key as string)?.replace(/\s/g, '');
  if (bytes?.length === KEY_BYTES && canonical) return bytes;
  throw optionError(
    `${option}`,
    `(a ${typeof key}${typeof key === 'string' ? ` of ${key.length} characters` : ''})`,
    'Use a base64 string of exactly 32 bytes, such as the output of `openssl rand -base64 32`.',
  );
}
