import { LRUCache } from 'lru-cache';
import { describe, expect, it, vi } from 'vitest';
import { Lru } from '../../lib/utils/lru.js';

type Disposal = [value: number, key: string, reason: LRUCache.DisposeReason];

/** The two caches with the same options, each recording what it disposed. */
function pair(max: number) {
  const disposed: { lru: Disposal[]; reference: Disposal[] } = { lru: [], reference: [] };
  const options = (log: Disposal[]) => ({
    max,
    dispose: (value: number, key: string, reason: LRUCache.DisposeReason) =>
      void log.push([value, key, reason]),
  });
  return {
    lru: new Lru<string, number>(options(disposed.lru)),
    reference: new LRUCache<string, number>(options(disposed.reference)),
    disposed,
  };
}

/** A small deterministic generator, so that a failure replays. */
function random(seed: number) {
  return () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
}

describe('Lru', () => {
  it('behaves as lru-cache over random sets, gets and deletes (lru-cache as the oracle)', () => {
    for (const max of [1, 2, 3, 8]) {
      const { lru, reference, disposed } = pair(max);
      const next = random(max);
      for (let step = 0; step < 5_000; step++) {
        const key = `k${Math.floor(next() * (max + 2))}`;
        const op = next();
        if (op < 0.4) {
          lru.set(key, step);
          reference.set(key, step);
        } else if (op < 0.7) {
          expect(lru.get(key)).toBe(reference.get(key));
        } else {
          expect(lru.delete(key)).toBe(reference.delete(key));
        }
        expect([...lru.entries()]).toEqual([...reference.entries()]);
      }
      expect(disposed.lru).toEqual(disposed.reference);
      expect(disposed.lru.some(([, , reason]) => reason === 'delete')).toBe(true);
    }
  });

  it('takes its last entry with pop(), not the O(max) path, and dispose is told "delete"', () => {
    const { lru, disposed } = pair(10_000);
    lru.set('a', 1);
    const pop = vi.spyOn(lru, 'pop');
    expect(lru.delete('b')).toBe(false);
    expect(pop).not.toHaveBeenCalled();
    expect(lru.delete('a')).toBe(true);
    expect(pop).toHaveBeenCalledOnce();
    expect(lru.size).toBe(0);
    expect(disposed.lru).toEqual([[1, 'a', 'delete']]);
    lru.set('c', 3);
    expect([...lru.entries()]).toEqual([['c', 3]]);
  });

  it('deletes an expired last entry as lru-cache does', () => {
    let now = 1_000;
    const lru = new Lru<string, number>({ max: 10, ttlResolution: 0, perf: { now: () => now } });
    lru.set('a', 1, { ttl: 10 });
    now += 20;
    expect(lru.delete('a')).toBe(true);
    expect(lru.size).toBe(0);
  });
});
