import type { Invalidation } from './bus-message.js';

/**
 * Messages that could not be published yet, at most `limit` of them. On overflow the queue is
 * replaced by one `clear`: the messages dropped are counted lost, and the `clear`, sent when the
 * connection returns, makes every other L1 drop what those messages would have dropped (and
 * more). While that `clear` is pending, a new message adds nothing it does not already cover.
 */
export class PendingInvalidations {
  private messages: Invalidation[] = [];
  private clearPending = false;

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.clearPending ? 1 : this.messages.length;
  }

  /** Queues `message`; answers how many messages were lost to make room (0 or more). */
  add(message: Invalidation): number {
    if (this.clearPending) return 0;
    if (message.clear) {
      this.messages = [];
      this.clearPending = true;
      return 0;
    }
    if (this.messages.length < this.limit) {
      this.messages.push(message);
      return 0;
    }
    const lost = this.messages.length + 1;
    this.messages = [];
    this.clearPending = true;
    return lost;
  }

  /** Everything queued, merged into one message (invalidations commute), and empties the queue. */
  take(): Invalidation | undefined {
    if (this.clearPending) {
      this.clearPending = false;
      return { clear: true };
    }
    if (this.messages.length === 0) return undefined;
    const keys = new Set<string>();
    const tags = new Set<string>();
    for (const message of this.messages) {
      message.keys?.forEach((key) => keys.add(key));
      message.tags?.forEach((tag) => tags.add(tag));
    }
    this.messages = [];
    return { keys: [...keys], tags: [...tags] };
  }

  /** Empties the queue; answers how many messages it held. */
  drop(): number {
    const held = this.size;
    this.messages = [];
    this.clearPending = false;
    return held;
  }
}
