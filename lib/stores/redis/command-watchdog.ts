import type { Redis } from 'ioredis';

/** The part of ioredis's `Command` the watchdog uses. */
interface SentCommand {
  isResolved: boolean;
  reject(error: Error): void;
}

/** ioredis's queue of commands written and not yet answered (a `denque`), oldest first. */
interface CommandQueue {
  readonly length: number;
  peekAt(index: number): { command: SentCommand } | undefined;
}

/** Looks per `timeoutMs`: a command is given up between 1× and 1.25× `timeoutMs` after it was sent. */
const LOOKS_PER_TIMEOUT = 8;
/** Marks a command already given up, which stays queued until its late reply or the disconnect. */
const GIVEN_UP = Number.POSITIVE_INFINITY;

/**
 * Gives up on the commands a Redis server has not answered within `timeoutMs` (they reject with
 * "Command timed out", as with ioredis's `commandTimeout`), with one timer per connection where
 * ioredis's option arms and clears a timer for every command: about 2 µs of a 40 µs hit, the
 * largest cost a cached call added to a bare GET. The same design as memjs's request timeouts.
 * The timer runs only while commands are in flight; `watch()`, called as a command is sent,
 * starts it.
 */
export class CommandWatchdog {
  private timer?: NodeJS.Timeout;
  /** When a look first found the command in flight (so it was sent at most one look earlier). */
  private readonly firstSeen = new WeakMap<SentCommand, number>();

  private constructor(
    private readonly client: Redis,
    private readonly timeoutMs: number,
  ) {}

  /**
   * A watchdog for `client`, which must be fresh from this store. Should an ioredis version not
   * keep its queue of unanswered commands where the watchdog looks, it falls back to ioredis's
   * own `commandTimeout` (read at every send) and answers `undefined`: calls stay bounded.
   */
  static for(client: Redis, timeoutMs: number): CommandWatchdog | undefined {
    const queue = (client as unknown as { commandQueue?: Partial<CommandQueue> }).commandQueue;
    if (typeof queue?.peekAt === 'function' && typeof queue.length === 'number') {
      return new CommandWatchdog(client, timeoutMs);
    }
    client.options.commandTimeout = timeoutMs;
    return undefined;
  }

  watch(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.look(), this.timeoutMs / LOOKS_PER_TIMEOUT);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private look(): void {
    const queue = (this.client as unknown as { commandQueue: CommandQueue }).commandQueue;
    if (queue.length === 0) return this.stop();
    const now = performance.now();
    for (let index = 0; index < queue.length; index++) {
      const command = queue.peekAt(index)?.command;
      if (!command || command.isResolved) continue;
      const seen = this.firstSeen.get(command);
      if (seen === undefined) {
        this.firstSeen.set(command, now);
      } else if (now - seen >= this.timeoutMs) {
        this.firstSeen.set(command, GIVEN_UP);
        command.reject(new Error('Command timed out'));
      }
    }
  }
}
