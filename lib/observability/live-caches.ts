import type { CacheStats } from '../interfaces/cache-client.interface.js';

/** What a gauge reads of a cache: its name and its stats now. */
export interface ObservedCache {
  readonly name: string;
  stats(): CacheStats;
}

/**
 * The caches alive in this process, for gauges that read their state when scraped (L1 size, bus,
 * circuits). Held weakly: a cache that is dropped without being closed does not stay alive here.
 */
const live = new Set<WeakRef<ObservedCache>>();

export function trackCache(cache: ObservedCache): () => void {
  const ref = new WeakRef(cache);
  live.add(ref);
  return () => void live.delete(ref);
}

export function liveCaches(): ObservedCache[] {
  const caches: ObservedCache[] = [];
  for (const ref of live) {
    const cache = ref.deref();
    if (cache) caches.push(cache);
    else live.delete(ref);
  }
  return caches;
}
