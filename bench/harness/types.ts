/** Who a contender is: our package, a library a user could pick instead, or a bare floor. */
/**
 * `peer`: another library as its users run it (its defaults); `peer-config`: the same library in
 * a configuration its users rarely choose, shown beside it and never a target's baseline.
 */
export type ContenderKind = 'ours' | 'peer' | 'peer-config' | 'floor';

/** One thing measured: a call repeated with a growing index (the harness cycles the keys). */
export interface Contender {
  name: string;
  kind: ContenderKind;
  /** One operation. A returned promise is awaited before the next call of the same worker. */
  call(i: number): unknown;
  /** The call never returns a promise: it runs in a tight synchronous loop. */
  sync?: boolean;
}

/** One contender's line in `latest.json`. */
export interface ContenderResult {
  name: string;
  kind: ContenderKind;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Where measured call by call (the network scenarios). */
  p999Ms?: number;
  /** Median over repetitions of (this contender ÷ baseline) measured in the same repetition. */
  ratio: number;
  /** Scenario-specific figures (stampede counts, memory use). */
  metrics?: Record<string, number | string | null>;
}

export interface TargetResult {
  text: string;
  met: boolean;
  value: number | null;
}

export interface ScenarioResult {
  id: string;
  title: string;
  baseline: string;
  /** How it was measured, in a sentence, for BENCHMARKS.md. */
  method?: string;
  contenders: ContenderResult[];
  targets: TargetResult[];
}

export interface BenchMeta {
  node: string;
  cpus: number;
  cpuModel: string;
  versions: Record<string, string>;
  date: string;
  mode: 'full' | 'quick';
  repetitions: number;
  durationMs: number;
}

export interface BenchResults {
  meta: BenchMeta;
  scenarios: ScenarioResult[];
}

/** How long and how often each measurement runs. */
export interface RunSettings {
  quick: boolean;
  repetitions: number;
  durationMs: number;
  warmupMs: number;
}
