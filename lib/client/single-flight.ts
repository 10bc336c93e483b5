interface Waiter<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** A key's place in the registry; `waiters` is set while a run is under way for the key. */
interface Slot<T> {
  waiters: Waiter<T>[] | undefined;
}

/** Idle slots are swept once the registry holds this many keys (or twice what is in flight). */
const SWEEP_AT = 4096;

/**
 * At most one run per key at a time in this process: callers that arrive while a run is under
 * way share its outcome, rejection included.
 *
 * The registry holds only the list of callers waiting, never the run's promise: a promise kept in
 * a long-lived Map ends up in V8's old generation, and whatever it resolves with (a 10 KB entry)
 * then survives young-generation collections until the next full one.
 *
 * A key keeps its slot when its run ends, and idle slots are swept in bulk: a Map entry added and
 * deleted on every call made V8 rebuild the Map's table every few calls, and those tables were
 * promoted out of the young generation (see BENCHMARKS.md, issue 13: the tail at 100 in flight).
 */
export class SingleFlight<T> {
  private readonly slots = new Map<string, Slot<T>>();
  private sweepAt = SWEEP_AT;
  /** Runs under way: none (every hit on the memory store) spares the lookup of the key. */
  private running = 0;

  /** Whether a run is under way for this key. */
  runs(key: string): boolean {
    return this.running !== 0 && this.slots.get(key)?.waiters !== undefined;
  }

  /** The outcome of the run under way for this key, or `undefined` when none is. */
  join(key: string): Promise<T> | undefined {
    if (this.running === 0) return undefined;
    const waiters = this.slots.get(key)?.waiters;
    if (!waiters) return undefined;
    return new Promise<T>((resolve, reject) => waiters.push({ resolve, reject }));
  }

  /**
   * Shares `run` under `key` until it settles; answers, for the caller that started it, `run`'s
   * value mapped by `pick`. Callers that joined meanwhile get the value (or the rejection) as is.
   */
  track<R>(key: string, run: Promise<T>, pick: (value: T) => R): Promise<R> {
    const waiters: Waiter<T>[] = [];
    const slot = this.slotOf(key);
    slot.waiters = waiters;
    this.running++;
    // A run started inside this one (re-entrant) may hold the slot by the time this one ends.
    const release = () => {
      this.running--;
      if (slot.waiters === waiters) slot.waiters = undefined;
    };
    return run.then(
      (value) => {
        release();
        for (const waiter of waiters) waiter.resolve(value);
        return pick(value);
      },
      (error: unknown) => {
        release();
        for (const waiter of waiters) waiter.reject(error);
        throw error;
      },
    );
  }

  /** Keys with a slot, idle or not. */
  get size(): number {
    return this.slots.size;
  }

  private slotOf(key: string): Slot<T> {
    const slot = this.slots.get(key);
    if (slot) return slot;
    if (this.slots.size >= this.sweepAt) this.sweepIdle();
    const created: Slot<T> = { waiters: undefined };
    this.slots.set(key, created);
    return created;
  }

  private sweepIdle(): void {
    for (const [key, slot] of this.slots) if (!slot.waiters) this.slots.delete(key);
    this.sweepAt = Math.max(SWEEP_AT, 2 * this.slots.size);
  }
}
