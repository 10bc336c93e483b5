import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheStore } from '../../lib/stores/cache-store.interface.js';

export interface StoreFixture {
  /** A fresh store under `keyPrefix`, on the shared server of this suite. */
  create(keyPrefix: string): CacheStore | Promise<CacheStore>;
  teardown?(): Promise<void>;
}

/** Polls until `check` holds, for TTL cases: expiry is observed, never timed. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let prefixes = 0;
const uniquePrefix = () => `t${process.pid}-${++prefixes}:`;

/** The one contract every store driver meets, run against each real backend. */
export function describeStoreContract(name: string, setup: () => Promise<StoreFixture>) {
  describe(`${name} store contract`, () => {
    let fixture: StoreFixture;
    let store: CacheStore;
    const opened: CacheStore[] = [];
    const open = async (prefix = uniquePrefix()) => {
      const created = await fixture.create(prefix);
      await created.ready?.();
      opened.push(created);
      return created;
    };

    beforeAll(async () => {
      fixture = await setup();
      store = await open();
    });
    afterAll(async () => {
      await Promise.all(opened.map((s) => s.close()));
      await fixture?.teardown?.();
    });

    it('answers undefined for a missing key', async () => {
      expect(await store.get('missing')).toBeUndefined();
    });

    it('returns what was set, byte for byte', async () => {
      const text = '{"name":"Zoë","emoji":"🚀","quote":"a\\"b","nl":"x\\ny"}';
      await store.set('roundtrip', text);
      expect(await store.get('roundtrip')).toBe(text);
    });

    it('overwrites an existing key', async () => {
      await store.set('over', 'one');
      await store.set('over', 'two');
      expect(await store.get('over')).toBe('two');
    });

    it('expires an entry after its TTL, including a sub-second TTL', async () => {
      await store.set('short', 'v', 300);
      await store.set('long', 'v', 60_000);
      expect(await store.get('short')).toBe('v');
      await eventually(async () => (await store.get('short')) === undefined, 4000);
      expect(await store.get('long')).toBe('v');
    });

    it('keeps an entry without TTL', async () => {
      await store.set('forever', 'v');
      expect(await store.get('forever')).toBe('v');
    });

    it('reads many keys in key order with undefined for misses', async () => {
      await store.set('m1', 'a');
      await store.set('m3', 'c');
      expect(await store.getMany(['m1', 'm2', 'm3', 'm1'])).toEqual(['a', undefined, 'c', 'a']);
      expect(await store.getMany([])).toEqual([]);
    });

    it('writes many entries with their own TTLs', async () => {
      await store.setMany([
        { key: 's1', value: 'one' },
        { key: 's2', value: 'two', ttlMs: 300 },
      ]);
      expect(await store.getMany(['s1', 's2'])).toEqual(['one', 'two']);
      await eventually(async () => (await store.get('s2')) === undefined, 4000);
      expect(await store.get('s1')).toBe('one');
    });

    it('deletes a key and tells whether it existed', async () => {
      await store.set('d1', 'x');
      expect(await store.delete('d1')).toBe(true);
      expect(await store.get('d1')).toBeUndefined();
      expect(await store.delete('d1')).toBe(false);
    });

    it('deletes many keys and counts those that existed', async () => {
      await store.setMany([
        { key: 'dm1', value: '1' },
        { key: 'dm2', value: '2' },
      ]);
      expect(await store.deleteMany(['dm1', 'dm2', 'dm3'])).toBe(2);
      expect(await store.getMany(['dm1', 'dm2'])).toEqual([undefined, undefined]);
      expect(await store.deleteMany([])).toBe(0);
    });

    it('handles keys with spaces, control characters, unicode and 1,000 bytes', async () => {
      const keys = ['with space', 'tab\tand\nnewline', 'ключ:ü', 'k'.repeat(1000)];
      await store.setMany(keys.map((key, i) => ({ key, value: `v${i}` })));
      expect(await store.getMany(keys)).toEqual(['v0', 'v1', 'v2', 'v3']);
      expect(await store.get('k'.repeat(999))).toBeUndefined();
    });

    it('keeps a 200 KB value intact', async () => {
      const big = 'x'.repeat(200_000) + 'end';
      await store.set('big', big);
      expect(await store.get('big')).toBe(big);
    });

    it('clears its own prefix and leaves other prefixes alone', async () => {
      const mine = await open();
      const other = await open();
      await mine.setMany([
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
      ]);
      await other.set('a', 'kept');
      await mine.clear();
      expect(await mine.getMany(['a', 'b'])).toEqual([undefined, undefined]);
      expect(await other.get('a')).toBe('kept');
      await mine.set('a', 'after');
      expect(await mine.get('a')).toBe('after');
    });

    it('sees what another store instance on the same prefix wrote', async () => {
      const prefix = uniquePrefix();
      const first = await open(prefix);
      const second = await open(prefix);
      await first.set('shared', 'hello');
      expect(await second.get('shared')).toBe('hello');
      await second.delete('shared');
      expect(await first.get('shared')).toBeUndefined();
    });
  });
}
