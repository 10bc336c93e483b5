import { isPromiseLike, type MaybePromise } from '../utils/maybe-promise.js';

type Answer = (value: string | undefined) => void;

export interface CoalescedReads {
  /** One key alone: a plain read (one GET), never rejecting. */
  one(key: string): MaybePromise<string | undefined>;
  /** Several keys: one multi-read (Redis MGET, a memcached multi-get), values in key order. */
  many(keys: readonly string[]): MaybePromise<(string | undefined)[]>;
}

/**
 * Sends single-key reads together when they come in numbers. A read started while none is in
 * flight goes out at once as a plain read, and nothing else happens: one call in flight costs
 * one GET and no scheduling. A read started while others are in flight waits for the end of the
 * event-loop tick (`process.nextTick`, as ioredis's auto-pipelining), and the reads of that tick
 * go out as one multi-key read (or a plain read if it is alone). A hundred in flight: one command
 * and one socket write per tick instead of a hundred.
 */
export class ReadCoalescer {
  /** Reads and multi-reads sent and not answered yet. */
  private inFlight = 0;
  private keys: string[] = [];
  private answers: Answer[] = [];
  private readonly onTickEnd = () => this.flush();
  private readonly answered = <T>(value: T): T => {
    this.inFlight--;
    return value;
  };
  private readonly failed = (error: unknown): never => {
    this.inFlight--;
    throw error;
  };

  constructor(private readonly reads: CoalescedReads) {}

  get(key: string): MaybePromise<string | undefined> {
    if (this.inFlight === 0 && this.keys.length === 0) return this.counted(this.reads.one(key));
    if (this.keys.length === 0) process.nextTick(this.onTickEnd);
    this.keys.push(key);
    const answers = this.answers;
    return new Promise((resolve) => answers.push(resolve));
  }

  private flush(): void {
    const { keys, answers } = this;
    this.keys = [];
    this.answers = [];
    const values = this.counted(keys.length === 1 ? this.one(keys[0]) : this.reads.many(keys));
    // `many` never rejects (the safe store answers misses); if one did, its callers get misses.
    void Promise.resolve(values).then(
      (found) => answers.forEach((answer, i) => answer(found[i])),
      () => answers.forEach((answer) => answer(undefined)),
    );
  }

  /** Counts a read sent, until it is answered. */
  private counted<T>(sent: MaybePromise<T>): MaybePromise<T> {
    if (!isPromiseLike<T>(sent)) return sent;
    this.inFlight++;
    return Promise.resolve(sent).then(this.answered, this.failed);
  }

  private one(key: string): MaybePromise<(string | undefined)[]> {
    const value = this.reads.one(key);
    return isPromiseLike<string | undefined>(value) ? value.then((found) => [found]) : [value];
  }
}
