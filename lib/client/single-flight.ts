/**
 * At most one run per key at a time in this process: callers that arrive while a run is under
 * way share its outcome, rejection included. The entry is removed when the run settles.
 */
export class SingleFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  /** The run under way for this key, if any. */
  current(key: string): Promise<T> | undefined {
    return this.running.get(key);
  }

  /**
   * Shares `run` under `key` until it settles; answers, for the caller that started it, `run`'s
   * value mapped by `pick` (one promise step, in which the key is also forgotten).
   */
  track<R>(key: string, run: Promise<T>, pick: (value: T) => R): Promise<R> {
    this.running.set(key, run);
    const forget = () => {
      if (this.running.get(key) === run) this.running.delete(key);
    };
    return run.then(
      (value) => {
        forget();
        return pick(value);
      },
      (error: unknown) => {
        forget();
        throw error;
      },
    );
  }
}
