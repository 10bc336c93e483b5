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
  p999Ms: number;
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
    p999Ms: percentile(latencies, 99.9),
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
 * One call in flight for each contender, taking turns call by call (who goes first alternates)
 * for `durationMs` in all; ops/s is calls ÷ the contender's own time.
 */
async function runInterleaved(
  contenders: readonly Contender[],
  durationMs: number,
): Promise<Sample[]> {
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
  return contenders.map((_, index) => summarize(turn, busyMs[index], latencies[index]));
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

/** One round's samples, by contender name. */
interface Round {
  samples: Map<string, Sample>;
  /** Paired rounds only: the baseline's sample taken beside each other contender, by its name. */
  baselineBeside?: Map<string, Sample>;
}

/** Every round's samples. */
export class Comparison {
  constructor(
    private readonly contenders: readonly Contender[],
    private readonly rounds: readonly Round[],
    private readonly baseline?: string,
  ) {}

  /**
   * Median over rounds of `a ÷ b`, both measured in the same round; against the baseline in a
   * paired round, the baseline's figure taken beside `a`.
   */
  ratio(a: string, b: string): number {
    return median(
      this.rounds.map((round) => opsOf(round.samples, a) / this.opsBeside(round, a, b)),
    );
  }

  /** Median over rounds of `a`'s p99 ÷ `b`'s p99, both measured in the same round. */
  p99Ratio(a: string, b: string): number {
    return median(
      this.rounds.map(
        (round) => sampleOf(round.samples, a).p99Ms / sampleOf(round.samples, b).p99Ms,
      ),
    );
  }

  /** Median p99 of one contender. */
  p99Ms(name: string): number {
    return median(this.rounds.map((round) => sampleOf(round.samples, name).p99Ms));
  }

  /** Median ops/s of one contender. */
  opsPerSec(name: string): number {
    return median(this.rounds.map((round) => opsOf(round.samples, name)));
  }

  results(baseline: string): ContenderResult[] {
    return this.contenders.map(({ name, kind }) => {
      const mine = this.rounds.map((round) => round.samples.get(name) as Sample);
      return {
        name,
        kind,
        ...medianSample(mine),
        opsPerSec: Math.round(median(mine.map((sample) => sample.opsPerSec))),
        ratio: round(this.ratio(name, baseline), 3),
      };
    });
  }

  private opsBeside(round: Round, a: string, b: string): number {
    const beside = b === this.baseline ? round.baselineBeside?.get(a) : undefined;
    return beside ? beside.opsPerSec : opsOf(round.samples, b);
  }
}

function sampleOf(samples: Map<string, Sample>, name: string): Sample {
  const sample = samples.get(name);
  if (!sample) throw new Error(`no contender named "${name}"`);
  return sample;
}

function opsOf(samples: Map<string, Sample>, name: string): number {
  return sampleOf(samples, name).opsPerSec;
}

/** Each figure's median, latencies rounded for readable JSON. */
function medianSample(samples: readonly Sample[]): Sample {
  return {
    opsPerSec: median(samples.map((sample) => sample.opsPerSec)),
    p50Ms: round(median(samples.map((sample) => sample.p50Ms))),
    p99Ms: round(median(samples.map((sample) => sample.p99Ms))),
    p999Ms: round(median(samples.map((sample) => sample.p999Ms))),
  };
}

/** A round of contenders measured alone, one after the other, in the given order. */
async function runEach(
  contenders: readonly Contender[],
  shape: LoadShape,
  durationMs: number,
): Promise<Round> {
  const samples = new Map<string, Sample>();
  for (const contender of contenders) {
    collectGarbage();
    samples.set(contender.name, await measure(contender, shape, durationMs));
  }
  return { samples };
}

/**
 * A round of pairs, in the given order: each contender interleaved call by call with the baseline
 * for `durationMs`. At one call in flight a call mostly waits for a server process to be
 * scheduled, which the machine disturbs in bursts of a millisecond or more: taking turns exposes
 * both sides of a ratio to the same bursts. Pairs, rather than every contender in one rotation,
 * keep a contender's code warm as it would be when it runs alone (with seven contenders taking
 * turns, the one with the longest call path lost most to the others' traffic through the CPU's
 * caches). The baseline's own figure is the median of its pairs.
 */
async function runPaired(
  contenders: readonly Contender[],
  baseline: Contender,
  durationMs: number,
): Promise<Round> {
  const samples = new Map<string, Sample>();
  const baselineBeside = new Map<string, Sample>();
  for (const contender of contenders) {
    if (contender === baseline) continue;
    const [mine, theirs] = await runInterleaved([contender, baseline], durationMs);
    samples.set(contender.name, mine);
    baselineBeside.set(contender.name, theirs);
  }
  samples.set(baseline.name, medianSample([...baselineBeside.values()]));
  return { samples, baselineBeside };
}

/** The baseline to pair the others with: at one call in flight, when no contender is synchronous. */
function pairingBaseline(
  contenders: readonly Contender[],
  shape: LoadShape,
  baseline: string | undefined,
): Contender | undefined {
  const oneAtATime = shape.concurrency === 1 && shape.batch === 1;
  if (!oneAtATime || contenders.some((contender) => contender.sync)) return undefined;
  const found = contenders.find((contender) => contender.name === baseline);
  if (!found)
    throw new Error(`one call in flight: name the baseline to pair with, not "${baseline}"`);
  return found;
}

/**
 * Warm-up, then `repetitions` rounds with the contenders' order rotated each round. Every figure
 * is the median over rounds; a ratio is taken within one round against the other contender
 * measured in that same round, then the median of those ratios is reported. At one call in flight
 * (and no synchronous contender) a round is made of pairs with `baseline` (`runPaired`).
 */
export async function compare(
  contenders: readonly Contender[],
  shape: LoadShape,
  settings: RunSettings,
  baseline?: string,
): Promise<Comparison> {
  const paired = pairingBaseline(contenders, shape, baseline);
  const runRound = (order: readonly Contender[], durationMs: number) =>
    paired ? runPaired(order, paired, durationMs) : runEach(order, shape, durationMs);
  await runRound(contenders, settings.warmupMs);
  const rounds: Round[] = [];
  for (let round = 0; round < settings.repetitions; round++) {
    rounds.push(await runRound(rotate(contenders, round), settings.durationMs));
  }
  if (sink === Symbol.for('never')) console.log(sink);
  return new Comparison(contenders, rounds, baseline);
}
