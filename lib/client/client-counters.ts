/** What a client counts: shared by its reads and writes, reported by `stats()`. */
export interface ClientCounters {
  hits: number;
  l1Hits: number;
  misses: number;
  sets: number;
  deletes: number;
}

export function newCounters(): ClientCounters {
  return { hits: 0, l1Hits: 0, misses: 0, sets: 0, deletes: 0 };
}
