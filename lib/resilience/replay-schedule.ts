/** First wait before replaying missed evictions again; it doubles up to `MAX_DELAY_MS`. */
const FIRST_DELAY_MS = 50;
/** Longest wait between two replay attempts: the pace at which the stores reconnect. */
const MAX_DELAY_MS = 1000;

/**
 * When missed evictions are sent again: one replay at a time; after a failure or a new miss, again
 * after 50 ms, 100 ms, … at most every second while anything waits (so that an idle process still
 * delivers them, for the sake of the other app servers); at once when a circuit closes; and
 * before any write (the store guard awaits `run`). The timer never keeps the process alive.
 */
export class ReplaySchedule {
  private running?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private attempt = 0;
  private stopped = false;

  constructor(
    private readonly replay: () => Promise<void>,
    private readonly pending: () => boolean,
  ) {}

  /** Runs `task` unless a replay is under way (then waits for that one). Never rejects. */
  run(task: () => Promise<void>): Promise<void> {
    this.running ??= task()
      .catch(() => undefined)
      .finally(() => {
        this.running = undefined;
        if (!this.pending()) this.attempt = 0;
        else this.later();
      });
    return this.running;
  }

  /** A replay after the next backoff step, unless one is planned or running. */
  later(): void {
    if (this.timer || this.running || this.stopped) return;
    const delay = Math.min(FIRST_DELAY_MS * 2 ** this.attempt++, MAX_DELAY_MS);
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.replay();
      },
      delay * (0.9 + Math.random() * 0.1),
    );
    this.timer.unref();
  }

  /** A replay now (the store answered again). */
  soon(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.attempt = 0;
    void this.replay();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
