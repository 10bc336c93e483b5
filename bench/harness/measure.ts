import { median, percentile, round } from './stats.js';
import type { Contender, ContenderResult, RunSettings } from './types.js';

export interface LoadShape {
  /** Calls in flight at once (async contenders); sync contenders always run one at a time. */
  concurrency: number;
  /**
   * Calls timed together: a latency sample is the batch's time ÷ its size. 1 for network calls;
   * more for in-memory calls, which are too short to time one by one without the timer dominating.
   */
  batch: number;
}

interface Sample {
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

let sink: unknown;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

function summarize(ops: number, elapsedMs: number, latencies: number[]): Sample {
  return {
    opsPerSec: (ops / elapsedMs) * 1000,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

function runSync(contender: Contender, batch: number, durationMs: number): Sample {
  const latencies: number[] = [];
  const begin = performance.now();
  const deadline = begin + durationMs;
  let i = 0;
  let now = begin;
  while (now < deadline) {
    for (let b = 0; b < batch; b++) sink = contender.call(i++);
    const after = performance.now();
    latencies.push((after - now) / batch);
    now = after;
  }
  return summarize(i, now - begin, latencies);
}

async function runAsync(contender: Contender, shape: LoadShape, durationMs: number) {
  const latencies: number[] = [];
  const begin = performance.now();
  const deadline = begin + durationMs;
  let next = 0;
  const worker = async () => {
    let started = performance.now();
    while (started < deadline) {
      for (let b = 0; b < shape.batch; b++) {
        const result = contender.call(next++);
        sink = isThenable(result) ? await result : result;
      }
      const after = performance.now();
      latencies.push((after - started) / shape.batch);
      started = after;
    }
  };
  await Promise.all(Array.from({ length: shape.concurrency }, worker));
  return summarize(next, performance.now() - begin, latencies);
}

/** Runs one contender for `durationMs` under `shape`. */
export function measure(
  contender: Contender,
  shape: LoadShape,
  durationMs: number,
): Promise<Sample> {
  if (contender.sync) return Promise.resolve(runSync(contender, shape.batch * 10, durationMs));
  return runAsync(contender, shape, durationMs);
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** Every round's samples, by contender name. */
export class Comparison {
  constructor(
    private readonly contenders: readonly Contender[],
    private readonly rounds: readonly Map<string, Sample>[],
  ) {}

  /** Median over rounds of `a ÷ b`, both measured in the same round. */
  ratio(a: string, b: string): number {
    return median(this.rounds.map((round) => opsOf(round, a) / opsOf(round, b)));
  }

  /** Median ops/s of one contender. */
  opsPerSec(name: string): number {
    return median(this.rounds.map((round) => opsOf(round, name)));
  }

  results(baseline: string): ContenderResult[] {
    return this.contenders.map(({ name, kind }) => {
      const mine = this.rounds.map((round) => round.get(name) as Sample);
      return {
        name,
        kind,
        opsPerSec: Math.round(median(mine.map((sample) => sample.opsPerSec))),
        p50Ms: round(median(mine.map((sample) => sample.p50Ms))),
        p99Ms: round(median(mine.map((sample) => sample.p99Ms))),
        ratio: round(this.ratio(name, baseline), 3),
      };
    });
  }
}

function opsOf(round: Map<string, Sample>, name: string): number {
  const sample = round.get(name);
  if (!sample) throw new Error(`no contender named "${name}"`);
  return sample.opsPerSec;
}

/**
 * Warm-up, then `repetitions` rounds with the contenders' order rotated each round. Every figure
 * is the median over rounds; a ratio is taken within one round against the other contender
 * measured in that same round, then the median of those ratios is reported.
 */
export async function compare(
  contenders: readonly Contender[],
  shape: LoadShape,
  settings: RunSettings,
): Promise<Comparison> {
  for (const contender of contenders) await measure(contender, shape, settings.warmupMs);
  const rounds: Map<string, Sample>[] = [];
  for (let round = 0; round < settings.repetitions; round++) {
    const samples = new Map<string, Sample>();
    for (const contender of rotate(contenders, round)) {
      collectGarbage();
      samples.set(contender.name, await measure(contender, shape, settings.durationMs));
    }
    rounds.push(samples);
  }
  if (sink === Symbol.for('never')) console.log(sink);
  return new Comparison(contenders, rounds);
}
