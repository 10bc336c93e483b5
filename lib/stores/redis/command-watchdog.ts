import type { Redis } from 'ioredis';
import { CacheTimeoutError } from '../../errors.js';
import { canWatchCommands, commandQueueOf, type SentCommand } from './ioredis-internals.js';

/** Looks per `timeoutMs`: a command is given up between 1× and 1.25× `timeoutMs` after it was sent. */
const LOOKS_PER_TIMEOUT = 8;
/** Marks a command already given up, which stays queued until its late reply or the disconnect. */
const GIVEN_UP = Number.POSITIVE_INFINITY;

/**
 * Gives up on the commands a Redis server has not answered within `timeoutMs` (they reject with
 * a `CacheTimeoutError`), with one timer per connection where ioredis's `commandTimeout` option
 * arms and clears a timer for every command: about 2 µs of a 40 µs hit, the largest cost a cached
 * call added to a bare GET. The same design as memjs's request timeouts. The timer runs only while
 * commands are in flight; `watch()`, called as a command is sent, starts it.
 *
 * It gives up on every command of the connection, so it only watches a client the store made.
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
   * A watchdog for `client`, which must be fresh from this store; `undefined` (after one logged
   * warning) when this ioredis does not keep its unanswered commands where the watchdog looks:
   * the caller then times each command itself.
   */
  static for(client: Redis, timeoutMs: number): CommandWatchdog | undefined {
    return canWatchCommands(client) ? new CommandWatchdog(client, timeoutMs) : undefined;
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
    const queue = commandQueueOf(this.client);
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
        command.reject(new CacheTimeoutError('redis', this.timeoutMs));
      }
    }
  }
}
