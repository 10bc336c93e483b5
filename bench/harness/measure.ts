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

/**
 * One call in flight for every contender, taking turns call by call (the order rotated at each
 * turn) for `durationMs` in all. At one call in flight a call mostly waits for a server process to
 * be scheduled, and the machine disturbs that in bursts of a millisecond or more: taking turns
 * spreads each burst over all contenders instead of spoiling whichever one ran at the time.
 */
async function runInterleaved(
  contenders: readonly Contender[],
  durationMs: number,
): Promise<Map<string, Sample>> {
  const latencies = contenders.map(() => [] as number[]);
  const busyMs = contenders.map(() => 0);
  const deadline = performance.now() + durationMs;
  let turn = 0;
  while (performance.now() < deadline) {
    for (let k = 0; k < contenders.length; k++) {
      const index = (turn + k) % contenders.length;
      const started = performance.now();
      const result = contenders[index].call(turn);
      sink = isThenable(result) ? await result : result;
      const took = performance.now() - started;
      latencies[index].push(took);
      busyMs[index] += took;
    }
    turn++;
  }
  return new Map(
    contenders.map((contender, index) => [
      contender.name,
      summarize(turn, busyMs[index], latencies[index]),
    ]),
  );
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

/** One round: each contender measured alone in turn, in the given order. */
async function runEach(
  contenders: readonly Contender[],
  shape: LoadShape,
  durationMs: number,
): Promise<Map<string, Sample>> {
  const samples = new Map<string, Sample>();
  for (const contender of contenders) {
    collectGarbage();
    samples.set(contender.name, await measure(contender, shape, durationMs));
  }
  return samples;
}

/**
 * Warm-up, then `repetitions` rounds with the contenders' order rotated each round. Every figure
 * is the median over rounds; a ratio is taken within one round against the other contender
 * measured in that same round, then the median of those ratios is reported. At one call in flight
 * a round interleaves the contenders call by call (`runInterleaved`), for as long in all as the
 * rounds that run them one after the other.
 */
export async function compare(
  contenders: readonly Contender[],
  shape: LoadShape,
  settings: RunSettings,
): Promise<Comparison> {
  const interleave =
    shape.concurrency === 1 && shape.batch === 1 && !contenders.some((contender) => contender.sync);
  const runRound = (order: readonly Contender[], durationMs: number) =>
    interleave
      ? runInterleaved(order, durationMs * order.length)
      : runEach(order, shape, durationMs);
  await runRound(contenders, settings.warmupMs);
  const rounds: Map<string, Sample>[] = [];
  for (let round = 0; round < settings.repetitions; round++) {
    rounds.push(await runRound(rotate(contenders, round), settings.durationMs));
  }
  if (sink === Symbol.for('never')) console.log(sink);
  return new Comparison(contenders, rounds);
}
