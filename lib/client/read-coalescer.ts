import { isPromiseLike, type MaybePromise } from '../utils/maybe-promise.js';

type Answer = (value: string | undefined) => void;

/**
 * The most bytes of values one multi-read is meant to bring back. Every value of a reply stays
 * alive until the last of its readers has taken its own: a reply of a hundred 10 KB values kept a
 * megabyte alive across young-generation collections, each of which then took 5 ms instead of 1
 * (see BENCHMARKS.md, issue 13: `payload-10k`).
 */
const REPLY_BYTES = 64 * 1024;
/** What a value is taken to weigh before any was read (a small JSON record). */
const FIRST_GUESS_LENGTH = 256;

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
 * go out as multi-key reads of as many keys as fit in `REPLY_BYTES` at the values' average length
 * (a plain read for a key alone). A hundred small values in flight: one command and one socket
 * write per tick instead of a hundred.
 */
export class ReadCoalescer {
  /** Reads and multi-reads sent and not answered yet. */
  private inFlight = 0;
  private keys: string[] = [];
  private answers: Answer[] = [];
  /** Moving average of the length of the values read. */
  private averageLength = FIRST_GUESS_LENGTH;
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

  /** Keys per multi-read, from the average value length. */
  get batchSize(): number {
    return Math.max(1, Math.floor(REPLY_BYTES / this.averageLength));
  }

  private flush(): void {
    const { keys, answers } = this;
    this.keys = [];
    this.answers = [];
    const size = this.batchSize;
    if (keys.length <= size) return this.send(keys, answers);
    for (let start = 0; start < keys.length; start += size) {
      this.send(keys.slice(start, start + size), answers.slice(start, start + size));
    }
  }

  private send(keys: string[], answers: Answer[]): void {
    const values = this.counted(keys.length === 1 ? this.one(keys[0]) : this.reads.many(keys));
    // `many` never rejects (the safe store answers misses); if one did, its callers get misses.
    void Promise.resolve(values).then(
      (found) => {
        this.learnLengths(found);
        answers.forEach((answer, i) => answer(found[i]));
      },
      () => answers.forEach((answer) => answer(undefined)),
    );
  }

  /** Moves the average toward the lengths of the values found (misses tell nothing). */
  private learnLengths(found: readonly (string | undefined)[]): void {
    let total = 0;
    let count = 0;
    for (const value of found) {
      if (value === undefined) continue;
      total += value.length;
      count++;
    }
    if (count > 0) this.averageLength = (3 * this.averageLength + total / count) / 4;
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
