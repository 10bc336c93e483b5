import { setTimeout as sleep } from 'node:timers/promises';
import { CacheError, CacheTimeoutError } from '../errors.js';
import { isPromiseLike, type MaybePromise } from '../utils/maybe-promise.js';

const BASE_DELAY_MS = 10;

/**
 * Runs a read and, only if it fails fast (a reset connection, a server restarting), tries again up
 * to `retries` times, waiting 10 ms, 20 ms, 40 ms … plus jitter, never past `budgetMs` from the
 * first attempt. A timeout is not retried: the server is hung and another wait would only double
 * the delay. A synchronous store (memory) is never retried. With `onFailure`, the last failure
 * (a throw or a rejection) is answered by it instead, in the same step (no extra promise).
 */
export function withReadRetry<T, F = never>(
  read: () => MaybePromise<T>,
  retries: number,
  budgetMs: number,
  onFailure?: (error: unknown) => F,
): MaybePromise<T | F> {
  let first: MaybePromise<T>;
  try {
    first = read();
  } catch (error) {
    if (onFailure) return onFailure(error);
    throw error;
  }
  if (!isPromiseLike(first)) return first;
  if (retries <= 0) return onFailure ? Promise.resolve(first).then(undefined, onFailure) : first;
  const deadline = Date.now() + budgetMs;
  return Promise.resolve(first).then(undefined, (error: unknown) => {
    const retried = retryAfter(error, read, retries, deadline);
    return onFailure ? retried.then(undefined, onFailure) : retried;
  });
}

async function retryAfter<T>(
  error: unknown,
  read: () => MaybePromise<T>,
  retries: number,
  deadline: number,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const delay = backoff(attempt);
    if (attempt >= retries || Date.now() + delay > deadline || !isRetryable(error)) throw error;
    await sleep(delay);
    try {
      return await read();
    } catch (next) {
      error = next;
    }
  }
}

export function backoff(attempt: number): number {
  const exponential = BASE_DELAY_MS * 2 ** attempt;
  return exponential + Math.random() * exponential;
}

/** Timeouts, like every other `CacheError` (a value too large, a corrupted entry), are final. */
function isRetryable(error: unknown): boolean {
  return !(error instanceof CacheError);
}

/** A command that got no answer in time: the server is hung or unreachable, not refusing. */
export function isTimeout(error: unknown): error is CacheTimeoutError {
  return error instanceof CacheTimeoutError;
}
