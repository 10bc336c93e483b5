import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CacheOptionsError } from '../../lib/index.js';
import { validateOptions } from '../../lib/options/validate-options.js';
import { Unopened, ValueEnvelope } from '../../lib/serialization/value-envelope.js';

const key32 = () => randomBytes(32);
const text = (bytes: number) => 'J' + JSON.stringify('x'.repeat(bytes));

describe('ValueEnvelope', () => {
  it('compresses only texts over the threshold, and opens both kinds', () => {
    const envelope = new ValueEnvelope({ compression: { threshold: 100, algorithm: 'gzip' } });
    const small = text(10);
    const large = text(5000);
    expect(envelope.seal('k', small)).toBe(small);
    const packed = envelope.seal('k', large);
    expect(packed.startsWith('Zg')).toBe(true);
    expect(packed.length).toBeLessThan(large.length / 10);
    expect(envelope.open('k', packed)).toBe(large);
    expect(envelope.open('k', small)).toBe(small);
  });

  it('opens brotli and gzip entries whichever algorithm writes now', () => {
    const gzip = new ValueEnvelope({ compression: { threshold: 0, algorithm: 'gzip' } });
    const brotli = new ValueEnvelope({ compression: { threshold: 0, algorithm: 'brotli' } });
    const value = text(2000);
    expect(brotli.open('k', gzip.seal('k', value))).toBe(value);
    expect(gzip.open('k', brotli.seal('k', value))).toBe(value);
  });

  it('seals with the first key, opens with any listed, and never shows the value', () => {
    const [oldKey, newKey] = [key32(), key32()];
    const before = new ValueEnvelope({ encryption: { keys: [oldKey] } });
    const rotated = new ValueEnvelope({ encryption: { keys: [newKey, oldKey] } });
    const after = new ValueEnvelope({ encryption: { keys: [newKey] } });
    const sealed = before.seal('user:1', 'J{"email":"ada@example.com"}');
    // Base64 after the key id; random base64 may spell 'ada', never 'ada@example.com'.
    expect(sealed).toMatch(/^S[0-9a-f]{8}:[A-Za-z0-9+/]+={0,2}$/);
    expect(sealed).not.toContain('ada@example.com');
    expect(before.seal('user:1', 'J1')).not.toBe(before.seal('user:1', 'J1'));
    expect(rotated.open('user:1', sealed)).toBe('J{"email":"ada@example.com"}');
    expect(after.open('user:1', sealed)).toEqual(new Unopened('unknown key'));
    expect(after.open('user:1', rotated.seal('user:1', 'J2'))).toBe('J2');
  });

  it('refuses a tampered value, one moved under another key, and one not sealed', () => {
    const envelope = new ValueEnvelope({ encryption: { keys: [key32()] } });
    const sealed = envelope.seal('a', 'J"secret"');
    const bytes = Buffer.from(sealed.slice(10), 'base64');
    bytes[bytes.length - 1] ^= 1;
    const tampered = sealed.slice(0, 10) + bytes.toString('base64');
    expect(envelope.open('a', tampered)).toEqual(new Unopened('tampered'));
    expect(envelope.open('b', sealed)).toEqual(new Unopened('tampered'));
    expect(envelope.open('a', 'J"planted"')).toEqual(new Unopened('not sealed'));
    expect(envelope.open('a', 'S12345678:AA')).toEqual(new Unopened('unknown key'));
    expect(envelope.open('a', 'Sgarbage')).toEqual(new Unopened('damaged'));
  });

  it('compresses, then seals', () => {
    const envelope = new ValueEnvelope({
      compression: { threshold: 10, algorithm: 'gzip' },
      encryption: { keys: [key32()] },
    });
    const value = text(10_000);
    const sealed = envelope.seal('k', value);
    expect(sealed.length).toBeLessThan(value.length / 10);
    expect(envelope.open('k', sealed)).toBe(value);
  });
});

describe('compression and encryption options', () => {
  const url = 'redis://127.0.0.1:7001';

  it('takes compression: true as the defaults, and resolves keys', () => {
    const key = randomBytes(32).toString('base64');
    expect(
      validateOptions({ redis: { url }, compression: true, encryption: { keys: [key] } }).envelope,
    ).toEqual({
      compression: { threshold: 1024, algorithm: 'gzip' },
      encryption: { keys: [Buffer.from(key, 'base64')] },
    });
    expect(validateOptions({ redis: { url } }).envelope).toBeUndefined();
  });

  it.each([
    [{ compression: { algorithm: 'lz4' } }, 'compression.algorithm'],
    [{ compression: { threshold: -1 } }, 'compression.threshold'],
    [{ compression: { level: 9 } }, 'compression.level'],
    [{ encryption: { keys: [] } }, 'encryption.keys'],
    [{ encryption: {} }, 'encryption.keys'],
    [{ encryption: { keys: [randomBytes(16).toString('base64')] } }, 'encryption.keys[0]'],
    [{ encryption: { keys: ['not base64 at all!'] } }, 'encryption.keys[0]'],
  ])('refuses %j, naming the option', (options, option) => {
    let error: unknown;
    try {
      validateOptions({ redis: { url }, ...options } as never);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CacheOptionsError);
    expect((error as CacheOptionsError).option).toBe(option);
  });

  it('never shows a key in the message', () => {
    const short = randomBytes(16).toString('base64');
    expect(() => validateOptions({ redis: { url }, encryption: { keys: [short] } })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(short) }),
    );
  });

  it('takes zstd where Node.js has it, and otherwise refuses it saying which versions do', () => {
    const options = { redis: { url }, compression: { algorithm: 'zstd' as const } };
    if ('zstdCompressSync' in zlib) {
      expect(validateOptions(options).envelope?.compression?.algorithm).toBe('zstd');
    } else {
      expect(() => validateOptions(options)).toThrow(/22\.15/);
    }
  });
});
