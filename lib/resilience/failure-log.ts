import { Logger } from '@nestjs/common';

const QUIET_PERIOD_MS = 10_000;

/**
 * Logs a failure once per burst: the first one at once, then at most one summary per quiet period
 * with the count of what it held back. A dead cache server must not flood the log.
 */
export class FailureLog {
  private quietUntil = 0;
  private suppressed = 0;

  constructor(private readonly logger: Logger) {}

  /** A change of state worth one line (a circuit closing): logged as is, never held back. */
  note(message: string): void {
    this.logger.log(message);
  }

  /** A warning of its own (a circuit opening): logged as is, never held back. */
  warn(message: string): void {
    this.logger.warn(message);
  }

  report(operation: string, error: unknown): void {
    const now = Date.now();
    if (now < this.quietUntil) {
      this.suppressed++;
      return;
    }
    const held = this.suppressed
      ? ` (${this.suppressed} similar failures in the last burst were not logged)`
      : '';
    this.suppressed = 0;
    this.quietUntil = now + QUIET_PERIOD_MS;
    this.logger.warn(
      `Cache ${operation} failed, continuing without the cache: ${message(error)}${held}`,
    );
  }
}

function message(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : '';
  return `${error.message}${cause}`;
}
