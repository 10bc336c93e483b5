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
});
