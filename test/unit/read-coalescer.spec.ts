import { describe, expect, it } from 'vitest';
import { ReadCoalescer } from '../../lib/client/read-coalescer.js';

function recordingReads(values: Record<string, string>) {
  const sent: string[][] = [];
  return {
    sent,
    reads: {
      one: async (key: string) => {
        sent.push([key]);
        return values[key];
      },
      many: async (keys: readonly string[]) => {
        sent.push([...keys]);
        return keys.map((key) => values[key]);
      },
    },
  };
}

describe('ReadCoalescer', () => {
  it('sends a read alone in its tick at once, as a plain read', async () => {
    const { sent, reads } = recordingReads({ a: '1' });
    const coalescer = new ReadCoalescer(reads);
    expect(await coalescer.get('a')).toBe('1');
    expect(await coalescer.get('b')).toBeUndefined();
    expect(sent).toEqual([['a'], ['b']]);
  });

  it('sends the other reads of the same tick as one multi-read, answering each its own value', async () => {
    const { sent, reads } = recordingReads({ a: '1', b: '2', c: '3' });
    const coalescer = new ReadCoalescer(reads);
    const values = await Promise.all(['a', 'b', 'c', 'x', 'b'].map((key) => coalescer.get(key)));
    expect(values).toEqual(['1', '2', '3', undefined, '2']);
    expect(sent).toEqual([['a'], ['b', 'c', 'x', 'b']]);
  });

  it('sends a single leftover of a tick as a plain read', async () => {
    const { sent, reads } = recordingReads({ a: '1', b: '2' });
    const coalescer = new ReadCoalescer(reads);
    expect(await Promise.all([coalescer.get('a'), coalescer.get('b')])).toEqual(['1', '2']);
    expect(sent).toEqual([['a'], ['b']]);
  });

  it('batches reads started in a later tick while a read is in flight, and sends alone again once all are answered', async () => {
    const sent: string[][] = [];
    const pending: (() => void)[] = [];
    const held = <T>(value: T) => new Promise<T>((resolve) => pending.push(() => resolve(value)));
    const coalescer = new ReadCoalescer({
      one: (key) => (sent.push([key]), held(key.toUpperCase())),
      many: (keys) => (sent.push([...keys]), held(keys.map((key) => key.toUpperCase()))),
    });
    const first = coalescer.get('a');
    await new Promise((resolve) => setImmediate(resolve));
    const later = [coalescer.get('b'), coalescer.get('c')];
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual([['a'], ['b', 'c']]);

    pending.splice(0).forEach((answer) => answer());
    expect(await first).toBe('A');
    expect(await Promise.all(later)).toEqual(['B', 'C']);
    const next = coalescer.get('d');
    expect(sent).toEqual([['a'], ['b', 'c'], ['d']]);
    pending.splice(0).forEach((answer) => answer());
    expect(await next).toBe('D');
  });

  it('answers misses for a multi-read that rejects, and sends alone again after it', async () => {
    const sent: string[][] = [];
    const coalescer = new ReadCoalescer({
      one: async (key) => (sent.push([key]), key),
      many: async (keys) => {
        sent.push([...keys]);
        throw new Error('connection reset');
      },
    });
    const batch = Promise.all(['a', 'b', 'c'].map((key) => coalescer.get(key)));
    expect(await batch).toEqual(['a', undefined, undefined]);
    expect(await coalescer.get('d')).toBe('d');
    expect(sent.at(-1)).toEqual(['d']);
  });

  it('splits the reads of a tick so that a reply carries about 64 KB once values are known to be large', async () => {
    const values = Object.fromEntries(
      Array.from({ length: 100 }, (_, i) => [`k${i}`, String(i % 10).repeat(10_000)]),
    );
    const { sent, reads } = recordingReads(values);
    const coalescer = new ReadCoalescer(reads);
    const keys = Object.keys(values);
    // Learns the values' length from a first batch, then splits the next ones.
    for (let round = 0; round < 4; round++) {
      expect(await Promise.all(keys.map((key) => coalescer.get(key)))).toEqual(
        keys.map((key) => values[key]),
      );
    }
    const lastTick = sent.slice(-Math.ceil(99 / coalescer.batchSize));
    expect(coalescer.batchSize).toBe(6);
    expect(lastTick.every((batch) => batch.length <= 6)).toBe(true);
    expect(lastTick.flat()).toEqual(keys.slice(1));
  });

  it('keeps a tick of 100 small values in one multi-read', async () => {
    const values = Object.fromEntries(
      Array.from({ length: 101 }, (_, i) => [`k${i}`, 'v'.repeat(200)]),
    );
    const { sent, reads } = recordingReads(values);
    const coalescer = new ReadCoalescer(reads);
    const keys = Object.keys(values);
    for (let round = 0; round < 3; round++)
      await Promise.all(keys.map((key) => coalescer.get(key)));
    expect(sent.at(-1)).toEqual(keys.slice(1));
  });
});
