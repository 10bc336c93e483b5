import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../lib/stores/memory.store.js';
import { describeStoreContract } from '../support/store-contract.js';

describeStoreContract('memory', async () => {
  const byPrefix = new Map<string, MemoryStore>();
  return {
    create: (prefix) =>
      byPrefix.get(prefix) ?? byPrefix.set(prefix, new MemoryStore()).get(prefix)!,
  };
});

describe('MemoryStore bounds', () => {
  it('holds at most maxEntries, dropping the least recently used', () => {
    const store = new MemoryStore({ maxEntries: 3 });
    store.set('a', '1');
    store.set('b', '2');
    store.set('c', '3');
    store.get('a');
    store.set('d', '4');
    expect(store.getMany(['a', 'b', 'c', 'd'])).toEqual(['1', undefined, '3', '4']);
    expect(store.size).toBe(3);
  });

  it('holds at most maxSize bytes', () => {
    const store = new MemoryStore({ maxEntries: 1000, maxSize: 1000 });
    for (let i = 0; i < 100; i++) store.set(`k${i}`, 'x'.repeat(48));
    expect(store.size).toBeLessThanOrEqual(10);
    expect(store.get('k99')).toBe('x'.repeat(48));
  });
});
