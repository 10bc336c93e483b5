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

  track(key: string, run: Promise<T>): Promise<T> {
    this.running.set(key, run);
    const forget = () => {
      if (this.running.get(key) === run) this.running.delete(key);
    };
    run.then(forget, forget);
    return run;
  }
}
