/**
 * Call latencies kept in a typed array that doubles when full: millions of calls a run, without
 * a growing array of boxed numbers for the garbage collector to walk while the calls are timed.
 */
export class LatencyLog {
  private values = new Float64Array(1 << 16);
  private count = 0;

  add(ms: number): void {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = ms;
  }

  get length(): number {
    return this.count;
  }

  /** The latencies recorded, as a view (no copy). */
  all(): Float64Array {
    return this.values.subarray(0, this.count);
  }

  max(): number {
    return this.all().reduce((max, ms) => Math.max(max, ms), 0);
  }

  /** The `p`-th percentiles (0–100, nearest rank), sorting the log in place once. */
  percentiles(...ps: number[]): number[] {
    const sorted = this.all().sort();
    return ps.map((p) => {
      const rank = Math.ceil((p / 100) * sorted.length) - 1;
      return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
    });
  }
}

/** Forces a collection where `--expose-gc` allows it (`npm run bench` does). */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
