import { describe, expect, it } from 'vitest';
import { faithfulSerializer } from '../../lib/index.js';
import { DecodedValue } from '../../lib/serialization/decoded-value.js';
import { EntryCodec, type TagVersions } from '../../lib/serialization/entry-codec.js';
import { FillMarks } from '../../lib/tiers/fill-marks.js';
import { LocalTier } from '../../lib/tiers/local-tier.js';
import type { LocalTierSettings } from '../../lib/tiers/local-tier-options.js';

const codec = new EntryCodec(faithfulSerializer);
const entry = (value: unknown, tags?: TagVersions) =>
  new DecodedValue(codec, codec.wrap(codec.serialize(value), tags));

/** A tier whose expiry clock moves only when the test says. */
function tierWithClock(settings: LocalTierSettings = {}) {
  let now = 1_000; // lru-cache reads a start time of 0 as "no TTL"
  const tier = new LocalTier({ perf: { now: () => now }, ...settings });
  return { tier, advance: (ms: number) => (now += ms) };
}

function filled(tier: LocalTier, key: string, value: unknown, tags?: TagVersions): boolean {
  return tier.fill(key, entry(value, tags), tier.begin());
}

const valueOf = (tier: LocalTier, key: string) => tier.get(key)?.read();

describe('LocalTier bounds', () => {
  it('holds at most maxEntries, pushing out the least recently read', () => {
    const tier = new LocalTier({ maxEntries: 3 });
    for (const key of ['a', 'b', 'c']) filled(tier, key, key);
    tier.get('a');
    filled(tier, 'd', 'd');
    expect(tier.get('b')).toBeUndefined();
    expect(['a', 'c', 'd'].map((key) => valueOf(tier, key))).toEqual(['a', 'c', 'd']);
    expect(tier.stats()).toMatchObject({ entries: 3, evictions: 1 });
  });

  it('holds at most maxSize bytes, counted on the stored texts', () => {
    const size = entry('x'.repeat(100)).size;
    const tier = new LocalTier({ maxSize: size * 3 });
    for (const key of ['a', 'b', 'c', 'd']) filled(tier, key, 'x'.repeat(100));
    expect(tier.stats()).toMatchObject({ entries: 3, bytes: size * 3, evictions: 1 });
    expect(tier.get('a')).toBeUndefined();
  });

  it('keeps no entry larger than maxSize, and drops the copy it replaces', () => {
    const tier = new LocalTier({ maxSize: 1_000 });
    filled(tier, 'k', 'small');
    expect(filled(tier, 'k', 'x'.repeat(1_000))).toBe(false);
    expect(tier.get('k')).toBeUndefined();
    expect(tier.stats()).toMatchObject({ entries: 0, bytes: 0 });
  });
});

describe('LocalTier lifetime', () => {
  it('caps an entry without TTL at ttlMs', () => {
    const { tier, advance } = tierWithClock({ ttlMs: 1_000 });
    filled(tier, 'k', 1);
    advance(999);
    expect(valueOf(tier, 'k')).toBe(1);
    advance(2);
    expect(tier.get('k')).toBeUndefined();
    expect(tier.stats().expired).toBe(1);
  });

  it('caps a longer entry TTL at ttlMs', () => {
    const { tier, advance } = tierWithClock({ ttlMs: 1_000 });
    tier.fill('k', entry(1), tier.begin(), 60_000);
    advance(1_001);
    expect(tier.get('k')).toBeUndefined();
  });

  it('keeps an entry no longer than its own remaining TTL when shorter than ttlMs', () => {
    const { tier, advance } = tierWithClock({ ttlMs: 1_000 });
    tier.fill('k', entry(1), tier.begin(), 300);
    advance(299);
    expect(valueOf(tier, 'k')).toBe(1);
    advance(2);
    expect(tier.get('k')).toBeUndefined();
  });

  it('keeps nothing whose remaining TTL is already over', () => {
    const tier = new LocalTier();
    expect(tier.fill('k', entry(1), tier.begin(), -5)).toBe(false);
    expect(tier.get('k')).toBeUndefined();
  });

  it('with ttlMs Infinity, an entry lives its own TTL, and one without TTL stays', () => {
    const { tier, advance } = tierWithClock({ ttlMs: Infinity });
    tier.fill('short', entry(1), tier.begin(), 5_000);
    filled(tier, 'forever', 2);
    advance(86_400_000);
    expect(tier.get('short')).toBeUndefined();
    expect(valueOf(tier, 'forever')).toBe(2);
  });

  it('caps tag versions at ttlMs too', () => {
    const { tier, advance } = tierWithClock({ ttlMs: 1_000 });
    filled(tier, 'k', 1, { t: 'v1' });
    expect(tier.currentTags(['t'])).toEqual({ t: 'v1' });
    advance(1_001);
    expect(tier.currentTags(['t'])).toBeUndefined();
  });
});

describe('LocalTier trust', () => {
  it('distrust() empties it and bypasses it: get answers nothing, fill keeps nothing', () => {
    const tier = new LocalTier();
    filled(tier, 'k', 1, { t: 'v1' });
    tier.distrust();
    expect(tier.stats()).toMatchObject({ entries: 0, bytes: 0, trusted: false });
    expect(filled(tier, 'k', 2)).toBe(false);
    expect(tier.get('k')).toBeUndefined();
    expect(tier.currentTags(['t'])).toBeUndefined();
    expect(tier.stats()).toMatchObject({ bypassed: 1, misses: 0, refusedFills: 1 });
  });

  it('trust() resumes: fills begun after it are kept and answered', () => {
    const tier = new LocalTier();
    tier.distrust();
    tier.trust();
    expect(filled(tier, 'k', 1)).toBe(true);
    expect(valueOf(tier, 'k')).toBe(1);
  });

  it('refuses, once trusted again, a fill begun while distrusted', () => {
    const tier = new LocalTier();
    tier.distrust();
    const token = tier.begin();
    tier.trust();
    expect(tier.fill('k', entry(1), token)).toBe(false);
    expect(tier.get('k')).toBeUndefined();
  });

  it('starts bypassed with trusted: false (a bus not up yet) until trust()', () => {
    const tier = new LocalTier({ trusted: false });
    expect(filled(tier, 'k', 1)).toBe(false);
    tier.trust();
    expect(filled(tier, 'k', 1)).toBe(true);
  });
});

describe('LocalTier fills in flight', () => {
  const invalidations: [string, (tier: LocalTier) => void][] = [
    ['a delete of its key', (tier) => tier.delete(['k'])],
    ['clear()', (tier) => tier.clear()],
    ['invalidateTags of one of its tags', (tier) => tier.invalidateTags(['t'])],
    ['distrust() then trust()', (tier) => (tier.distrust(), tier.trust())],
    ['a write of its key', (tier) => tier.beginWrite('k')],
  ];

  for (const [name, invalidate] of invalidations) {
    it(`refuses a fill begun before ${name}, keeps one begun after`, () => {
      const tier = new LocalTier();
      const before = tier.begin();
      invalidate(tier);
      const after = tier.begin();
      expect(tier.fill('k', entry('old', { t: 'v1' }), before)).toBe(false);
      expect(tier.get('k')).toBeUndefined();
      expect(tier.fill('k', entry('new', { t: 'v2' }), after)).toBe(true);
      expect(valueOf(tier, 'k')).toBe('new');
      expect(tier.stats().refusedFills).toBe(1);
    });
  }

  it('keeps a fill begun before a delete of another key or an invalidation of another tag', () => {
    const tier = new LocalTier();
    const token = tier.begin();
    tier.delete(['other']);
    tier.invalidateTags(['other-tag']);
    expect(tier.fill('k', entry(1, { t: 'v1' }), token)).toBe(true);
  });
});

describe('LocalTier writes', () => {
  it('keeps the written entry, and refuses reads that were in flight during the write', () => {
    const tier = new LocalTier();
    const write = tier.beginWrite('k');
    const read = tier.begin();
    expect(tier.commitWrite('k', entry('written'), write)).toBe(true);
    expect(tier.fill('k', entry('read before the write landed'), read)).toBe(false);
    expect(valueOf(tier, 'k')).toBe('written');
  });

  it('drops the copy of the key when a write starts', () => {
    const tier = new LocalTier();
    filled(tier, 'k', 'old');
    tier.beginWrite('k');
    expect(tier.get('k')).toBeUndefined();
  });

  for (const order of ['in order', 'out of order']) {
    it(`holds neither of two writes of one key in flight together, committed ${order}`, () => {
      const tier = new LocalTier();
      const first = tier.beginWrite('k');
      const second = tier.beginWrite('k');
      const commits = [
        () => tier.commitWrite('k', entry(1), first),
        () => tier.commitWrite('k', entry(2), second),
      ];
      if (order === 'out of order') commits.reverse();
      for (const commit of commits) commit();
      // Which one the store applied last is unknown: the next read fetches it.
      expect(tier.get('k')).toBeUndefined();
    });
  }

  it('keeps no written entry whose tag was invalidated while the write was in flight', () => {
    const tier = new LocalTier();
    const write = tier.beginWrite('k');
    tier.invalidateTags(['t']);
    expect(tier.commitWrite('k', entry(1, { t: 'v1' }), write)).toBe(false);
    expect(tier.currentTags(['t'])).toBeUndefined();
  });
});

describe('LocalTier tags', () => {
  it('invalidateTags drops exactly the entries carrying one of the tags', () => {
    const tier = new LocalTier();
    filled(tier, 'a', 'a', { red: '1' });
    filled(tier, 'b', 'b', { red: '1', blue: '1' });
    filled(tier, 'c', 'c', { blue: '1' });
    filled(tier, 'd', 'd', { green: '1' });
    filled(tier, 'e', 'e');
    tier.invalidateTags(['red', 'green']);
    const held = ['a', 'b', 'c', 'd', 'e'].filter((key) => tier.get(key) !== undefined);
    expect(held).toEqual(['c', 'e']);
  });

  it('forgets which keys a tag had once they leave (replaced, deleted, pushed out)', () => {
    const tier = new LocalTier({ maxEntries: 1 });
    filled(tier, 'a', 'a', { red: '1' });
    filled(tier, 'a', 'untagged now');
    tier.invalidateTags(['red']);
    expect(valueOf(tier, 'a')).toBe('untagged now');
    filled(tier, 'b', 'b', { red: '2' });
    filled(tier, 'a', 'pushes b out');
    tier.invalidateTags(['red']);
    expect(valueOf(tier, 'a')).toBe('pushes b out');
  });

  it('deleting its only entry forgets which tags it had, and counts no eviction', () => {
    const tier = new LocalTier();
    filled(tier, 'a', 'a', { red: '1' });
    tier.delete(['a']);
    expect(tier.get('a')).toBeUndefined();
    filled(tier, 'a', 'untagged now');
    tier.invalidateTags(['red']);
    expect(valueOf(tier, 'a')).toBe('untagged now');
    expect(tier.stats()).toMatchObject({ entries: 1, evictions: 0 });
  });

  it('learns tag versions from what it keeps, answers them without the store, drops them on invalidation', () => {
    const tier = new LocalTier();
    expect(tier.currentTags(['t', 'u'])).toBeUndefined();
    filled(tier, 'k', 1, { t: 'v1', u: 'w1' });
    expect(tier.currentTags(['t', 'u'])).toEqual({ t: 'v1', u: 'w1' });
    expect(tier.isCurrent({ t: 'v1' })).toBe(true);
    expect(tier.isCurrent({ t: 'v0' })).toBe(false);
    tier.invalidateTags(['t']);
    expect(tier.currentTags(['t', 'u'])).toBeUndefined();
    expect(tier.currentTags(['u'])).toEqual({ u: 'w1' });
    expect(tier.isCurrent({ t: 'v1' })).toBe(false);
  });
});

describe('LocalTier values and stats', () => {
  it('hands each hit its own copy, and one frozen value with clone: false', () => {
    const tier = new LocalTier();
    filled(tier, 'k', { list: [1] });
    const copy = tier.get('k')!.read() as { list: number[] };
    copy.list.push(2);
    expect(valueOf(tier, 'k')).toEqual({ list: [1] });
    const shared = tier.get('k')!.read(undefined, false);
    expect(Object.isFrozen(shared)).toBe(true);
    expect(tier.get('k')!.read(undefined, false)).toBe(shared);
  });

  it('counts hits, misses, refused fills; clear() frees every entry and tag', () => {
    const tier = new LocalTier();
    filled(tier, 'a', 1, { t: '1' });
    tier.get('a');
    tier.get('a');
    tier.get('missing');
    const stale = tier.begin();
    tier.delete(['b']);
    tier.fill('b', entry(2), stale);
    expect(tier.stats()).toMatchObject({ hits: 2, misses: 1, refusedFills: 1, entries: 1 });
    tier.clear();
    expect(tier.stats()).toMatchObject({ entries: 0, bytes: 0, trusted: true });
    expect(tier.currentTags(['t'])).toBeUndefined();
  });
});

describe('FillMarks', () => {
  it('past maxMarks, forgets the oldest marks and refuses every token begun before them', () => {
    const marks = new FillMarks(2);
    const old = marks.begin();
    marks.markKeys(['a']);
    const middle = marks.begin();
    marks.markKeys(['b']);
    marks.markKeys(['c']);
    expect(marks.isStale(old, 'z')).toBe(true);
    expect(marks.isStale(middle, 'z')).toBe(false);
    expect(marks.isStale(middle, 'b')).toBe(true);
  });
});
