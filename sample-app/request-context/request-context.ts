import { AsyncLocalStorage } from 'node:async_hooks';

/** How the cache answered a request: its worst call wins (one miss makes the request a MISS). */
export type CacheOutcome = 'HIT' | 'STALE' | 'MISS';

/** What the app learns about one HTTP request while serving it. */
export interface RequestContext {
  /** Database queries made on behalf of this request. */
  dbQueries: number;
  /** How its cached calls found their values; `undefined` when it made none. */
  cache?: CacheOutcome;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();

/** Counts one database query against the current request, if there is one. */
export function recordDbQuery(): void {
  const context = requestContext.getStore();
  if (context) context.dbQueries += 1;
}

const RANK: Record<CacheOutcome, number> = { HIT: 0, STALE: 1, MISS: 2 };

/** Records how one cached call of the current request (if any) found its value. */
export function recordCacheOutcome(outcome: CacheOutcome): void {
  const context = requestContext.getStore();
  if (context && (!context.cache || RANK[outcome] > RANK[context.cache])) context.cache = outcome;
}
