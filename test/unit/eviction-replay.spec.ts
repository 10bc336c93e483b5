import { describe, expect, it } from 'vitest';
import { EvictionReplay } from '../../lib/resilience/eviction-replay.js';

describe('EvictionReplay', () => {
  it('answers a read of a key whose delete waits as a miss, and leaves other keys alone', () => {
    const replay = new EvictionReplay(100);
    expect(replay.pending).toBe(false);
    replay.deletes(['a']);
    expect(replay.pending).toBe(true);
    expect(replay.overlay('a')).toEqual({ known: true, value: undefined });
    expect(replay.overlay('b')).toEqual({ known: false });
  });

  it('answers a read of a tag version that waits with the new version', () => {
    const replay = new EvictionReplay(100);
    replay.newVersions([{ key: '__tag__:t', value: 'v2' }]);
    expect(replay.overlay('__tag__:t')).toEqual({ known: true, value: 'v2' });
  });

  it('answers every read as a miss while a clear() waits', () => {
    const replay = new EvictionReplay(100);
    replay.clear();
    expect(replay.overlay('anything')).toEqual({ known: true, value: undefined });
    expect(replay.stats().pending).toBe(1);
  });

  it('holds each key once, the latest tag version winning', () => {
    const replay = new EvictionReplay(100);
    replay.deletes(['a', 'b']);
    replay.deletes(['a']);
    replay.newVersions([{ key: 't', value: 'v1' }]);
    replay.newVersions([{ key: 't', value: 'v2' }]);
    const batch = replay.batch();
    expect(batch.keys.sort()).toEqual(['a', 'b']);
    expect(batch.versions).toEqual([{ key: 't', value: 'v2' }]);
    expect(replay.stats().pending).toBe(3);
  });

  it('forgets what landed, but keeps what was queued again while the replay was under way', () => {
    const replay = new EvictionReplay(100);
    replay.deletes(['a', 'b']);
    const batch = replay.batch();
    replay.deletes(['b']);
    replay.deletesLanded(batch.keys, batch);
    expect(replay.overlay('a')).toEqual({ known: false });
    expect(replay.overlay('b')).toEqual({ known: true, value: undefined });
    expect(replay.stats()).toEqual({ pending: 1, replayed: 1, dropped: 0 });
  });

  it('keeps a tag version changed during the replay', () => {
    const replay = new EvictionReplay(100);
    replay.newVersions([{ key: 't', value: 'v1' }]);
    const batch = replay.batch();
    replay.newVersions([{ key: 't', value: 'v2' }]);
    replay.versionsLanded(batch.versions, batch);
    expect(replay.overlay('t')).toEqual({ known: true, value: 'v2' });
  });

  it('lets a landed clear() cover what was queued before it, not what came after', () => {
    const replay = new EvictionReplay(100);
    replay.deletes(['a']);
    replay.clear();
    replay.deletes(['b']);
    const batch = replay.batch();
    replay.deletes(['c']);
    replay.clearLanded(batch);
    expect(replay.clearPending).toBe(false);
    expect(replay.overlay('a')).toEqual({ known: false });
    expect(replay.overlay('b')).toEqual({ known: false });
    expect(replay.overlay('c')).toEqual({ known: true, value: undefined });
  });

  it('keeps a clear() asked for again after its batch was taken', () => {
    const replay = new EvictionReplay(100);
    replay.clear();
    const batch = replay.batch();
    replay.clear();
    replay.clearLanded(batch);
    expect(replay.clearPending).toBe(true);
  });

  it('on overflow, drops every held eviction (counted, reported) for one pending clear()', () => {
    const overflows: number[] = [];
    const replay = new EvictionReplay(3, (dropped) => overflows.push(dropped));
    replay.deletes(['a', 'b', 'c']);
    expect(replay.clearPending).toBe(false);
    replay.deletes(['d']);
    expect(replay.clearPending).toBe(true);
    expect(replay.batch()).toMatchObject({ clear: true, keys: [], versions: [] });
    expect(replay.stats()).toEqual({ pending: 1, replayed: 0, dropped: 4 });
    expect(overflows).toEqual([4]);
    expect(replay.overlay('a')).toEqual({ known: true, value: undefined });
  });
});
