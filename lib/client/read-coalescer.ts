import { isPromiseLike, type MaybePromise } from '../utils/maybe-promise.js';

type Answer = (value: string | undefined) => void;

export interface CoalescedReads {
  /** One key alone: a plain read (one GET), never rejecting. */
  one(key: string): MaybePromise<string | undefined>;
  /** Several keys: one multi-read (Redis MGET, a memcached multi-get), values in key order. */
  many(keys: readonly string[]): MaybePromise<(string | undefined)[]>;
}

/**
 * Sends the single-key reads that callers start during one tick of the event loop together: the
 * first read of a tick goes out at once as a plain read, the others of the same tick wait for the
 * end of it (`process.nextTick`, as ioredis's auto-pipelining) and go out as one multi-key read.
 * One call in flight: every read is a plain read sent at once, nothing waits. A hundred in flight:
 * two commands and two socket writes per batch of replies instead of a hundred.
 */
export class ReadCoalescer {
  private tickStarted = false;
  private keys: string[] = [];
  private answers: Answer[] = [];
  private readonly onTickEnd = () => this.endTick();

  constructor(private readonly reads: CoalescedReads) {}

  get(key: string): MaybePromise<string | undefined> {
    if (!this.tickStarted) {
      this.tickStarted = true;
      process.nextTick(this.onTickEnd);
      return this.reads.one(key);
    }
    this.keys.push(key);
    const answers = this.answers;
    return new Promise((resolve) => answers.push(resolve));
  }

  private endTick(): void {
    this.tickStarted = false;
    const { keys, answers } = this;
    if (keys.length === 0) return;
    this.keys = [];
    this.answers = [];
    const values = keys.length === 1 ? this.one(keys[0]) : this.reads.many(keys);
    void Promise.resolve(values).then((found) => answers.forEach((answer, i) => answer(found[i])));
  }

  private one(key: string): MaybePromise<(string | undefined)[]> {
    const value = this.reads.one(key);
    return isPromiseLike<string | undefined>(value) ? value.then((found) => [found]) : [value];
  }
}
