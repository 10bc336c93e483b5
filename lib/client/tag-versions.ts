import { randomBytes } from 'node:crypto';
import { noTagVersions, type TagVersions } from '../serialization/entry-codec.js';
import { chain, type MaybePromise } from '../utils/maybe-promise.js';
import { tagKey } from './key-space.js';
import type { SafeStore } from './safe-store.js';

/**
 * Tags as versions kept in the shared store itself, so they work the same on every backend,
 * Memcached included: each tag has a version key; an entry records the versions of its tags when
 * written; invalidating a tag writes it a new version, and an entry whose recorded version is no
 * longer current reads as a miss — on every app server at once. An evicted or unreadable version
 * also reads as a miss, never as a stale hit.
 */
export class TagVersionRegistry {
  constructor(private readonly store: SafeStore) {}

  /**
   * The current version of each tag, creating versions for tags never seen. `undefined` when the
   * store cannot answer: the caller must then not write the entry.
   */
  snapshot(tags: readonly string[]): MaybePromise<TagVersions | undefined> {
    const keys = tags.map(tagKey);
    return chain(this.store.getMany(keys), (versions) => {
      if (!versions) return undefined;
      const current = noTagVersions();
      const created = tags.flatMap((tag, i) => {
        current[tag] = versions[i] ?? newVersion();
        return versions[i] === undefined ? [{ key: keys[i], value: current[tag] }] : [];
      });
      return chain(this.store.setMany(created), (stored) => (stored ? current : undefined));
    });
  }

  /** Whether every tag still has the version the entry recorded. */
  isCurrent(recorded: TagVersions): MaybePromise<boolean> {
    const tags = Object.keys(recorded);
    if (tags.length === 0) return true;
    return chain(this.store.getMany(tags.map(tagKey)), (versions) =>
      versions ? tags.every((tag, i) => versions[i] === recorded[tag]) : false,
    );
  }

  /** New versions for `tags`; what the store does not take now is replayed once it answers. */
  invalidate(tags: readonly string[]): MaybePromise<boolean> {
    return this.store.setVersions(tags.map((tag) => ({ key: tagKey(tag), value: newVersion() })));
  }
}

function newVersion(): string {
  return Date.now().toString(36) + randomBytes(6).toString('base64url');
}
