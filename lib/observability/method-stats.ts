import type { CallResult } from '../client/distributed-cache.client.js';

/** What `stats().methods['Class.method']` reports for one decorated method. */
export interface MethodStatsSnapshot {
  hits: number;
  misses: number;
  /** Stale values served in place of a load (`grace`). */
  staleHits: number;
  /** Loads that threw or rejected. */
  errors: number;
  /** Times the method itself ran to fill the cache. */
  loads: number;
  /** Milliseconds spent in those runs, in all. */
  loadTimeMs: number;
}

/**
 * The counters of one `@Cacheable` method on one cache. Its two callbacks are made once and put
 * on every call's policy, so counting costs an increment per call.
 */
export class MethodStats {
  private readonly counts: MethodStatsSnapshot = {
    hits: 0,
    misses: 0,
    staleHits: 0,
    errors: 0,
    loads: 0,
    loadTimeMs: 0,
  };

  readonly onResult = (result: CallResult): void => {
    if (result === 'hit') this.counts.hits++;
    else if (result === 'miss') this.counts.misses++;
    else this.counts.staleHits++;
  };

  readonly onLoad = (durationMs: number, failed: boolean): void => {
    this.counts.loads++;
    this.counts.loadTimeMs += durationMs;
    if (failed) this.counts.errors++;
  };

  snapshot(): MethodStatsSnapshot {
    return { ...this.counts, loadTimeMs: Math.round(this.counts.loadTimeMs * 1000) / 1000 };
  }
}

/** One `MethodStats` per decorated method: as many as the app has methods, whatever the keys. */
export class MethodStatsRegistry {
  private readonly methods = new Map<string, MethodStats>();

  of(name: string): MethodStats {
    let stats = this.methods.get(name);
    if (!stats) this.methods.set(name, (stats = new MethodStats()));
    return stats;
  }

  snapshot(): Record<string, MethodStatsSnapshot> {
    const snapshot: Record<string, MethodStatsSnapshot> = {};
    for (const [name, stats] of this.methods) snapshot[name] = stats.snapshot();
    return snapshot;
  }
}
