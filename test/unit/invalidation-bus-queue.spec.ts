import { describe, expect, it } from 'vitest';
import { decodeInvalidation, encodeInvalidation } from '../../lib/tiers/bus-message.js';
import { PendingInvalidations } from '../../lib/tiers/pending-invalidations.js';

describe('invalidation bus wire format', () => {
  it('round-trips keys, tags and clear with the sender, leaving empty fields out', () => {
    const text = encodeInvalidation('me', { keys: ['a', 'b'], tags: [], clear: true });
    expect(JSON.parse(text)).toEqual({ v: 1, f: 'me', k: ['a', 'b'], c: 1 });
    expect(decodeInvalidation(text)).toEqual({ from: 'me', keys: ['a', 'b'], clear: true });
  });

  it('reads a newer version, which it cannot understand, as a clear from its sender', () => {
    expect(decodeInvalidation('{"v":2,"f":"x","k":["a"],"z":{}}')).toEqual({
      from: 'x',
      clear: true,
    });
  });

  it('reads garbage, an older or fractional version, a missing sender or wrong field types as nothing', () => {
    for (const text of [
      '',
      'null',
      '[]',
      '{"v":0,"f":"x"}',
      '{"v":1.5,"f":"x"}',
      '{"v":2}',
      '{"v":1}',
      '{"v":1,"f":"x","t":[1]}',
    ]) {
      expect(decodeInvalidation(text)).toBeUndefined();
    }
  });
});

describe('PendingInvalidations', () => {
  it('merges what it holds into one message', () => {
    const queue = new PendingInvalidations(10);
    queue.add({ keys: ['a'] });
    queue.add({ keys: ['b', 'a'], tags: ['t'] });
    expect(queue.size).toBe(2);
    expect(queue.take()).toEqual({ keys: ['a', 'b'], tags: ['t'] });
    expect(queue.take()).toBeUndefined();
  });

  it('on overflow reports every held message lost and keeps one clear, which covers what follows', () => {
    const queue = new PendingInvalidations(2);
    expect(queue.add({ keys: ['a'] })).toBe(0);
    expect(queue.add({ keys: ['b'] })).toBe(0);
    expect(queue.add({ keys: ['c'] })).toBe(3);
    expect(queue.add({ keys: ['d'] })).toBe(0);
    expect(queue.size).toBe(1);
    expect(queue.take()).toEqual({ clear: true });
    expect(queue.size).toBe(0);
  });
});
