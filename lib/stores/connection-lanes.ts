/** A key with writes in flight: the connection they went on, and how many are still unanswered. */
interface PendingWrites {
  lane: number;
  count: number;
}

/**
 * Chooses which of the `size` connections to one server (`lanes`) a command goes on: the one with
 * the fewest commands in flight as counted here (`sent` on send, `settled` on answer or failure),
 * ties taken in turn. A large reply holds up every reply queued behind it on its connection; the
 * next command goes around it.
 *
 * One exception keeps the order of a process's own commands on a key: while a write to a key is
 * unanswered, every command on that key follows it on its connection (a read after a write sees
 * it, a delete after a set is not overtaken by it).
 */
export class ConnectionLanes {
  private readonly inFlight: number[];
  private readonly writes = new Map<string, PendingWrites>();
  /** Where the next search starts: the lane after the last one chosen. */
  private next = 0;

  /** `usable(lane)`: whether a command sent on `lane` now can reach the server. */
  constructor(
    readonly size: number,
    private readonly usable: (lane: number) => boolean = () => true,
  ) {
    this.inFlight = new Array<number>(size).fill(0);
  }

  /** The lane for a command on `keys`: that of a write in flight to one of them, else the least busy. */
  choose(keys?: readonly string[] | string): number {
    if (keys !== undefined && this.writes.size > 0) {
      const pinned = this.pinnedLane(keys);
      if (pinned !== undefined) return pinned;
    }
    return this.leastBusy();
  }

  /** A command was sent on `lane`; `written`: the keys it writes. */
  sent(lane: number, written?: readonly string[] | string): void {
    this.inFlight[lane]++;
    if (written === undefined) return;
    if (typeof written === 'string') this.pin(written, lane);
    else for (const key of written) this.pin(key, lane);
  }

  /** The command `sent` on `lane` (with the same `written`) was answered or failed. */
  settled(lane: number, written?: readonly string[] | string): void {
    this.inFlight[lane]--;
    if (written === undefined) return;
    if (typeof written === 'string') this.unpin(written);
    else for (const key of written) this.unpin(key);
  }

  /** Whether a write is in flight to any key (else `choose` needs no key). */
  get holdsWrites(): boolean {
    return this.writes.size > 0;
  }

  /** Commands in flight on each lane, as counted here. */
  counts(): readonly number[] {
    return this.inFlight;
  }

  private leastBusy(): number {
    const { size, inFlight } = this;
    let chosen = -1;
    for (let i = 0; i < size; i++) {
      const lane = (this.next + i) % size;
      if ((chosen < 0 || inFlight[lane] < inFlight[chosen]) && this.usable(lane)) {
        chosen = lane;
        if (inFlight[lane] === 0) break;
      }
    }
    // None usable: the command fails fast wherever it goes; keep taking turns.
    if (chosen < 0) chosen = this.next;
    this.next = (chosen + 1) % size;
    return chosen;
  }

  private pinnedLane(keys: readonly string[] | string): number | undefined {
    if (typeof keys === 'string') return this.writes.get(keys)?.lane;
    for (const key of keys) {
      const pending = this.writes.get(key);
      if (pending) return pending.lane;
    }
    return undefined;
  }

  private pin(key: string, lane: number): void {
    const pending = this.writes.get(key);
    if (pending) pending.count++;
    else this.writes.set(key, { lane, count: 1 });
  }

  private unpin(key: string): void {
    const pending = this.writes.get(key);
    if (pending && --pending.count === 0) this.writes.delete(key);
  }
}
