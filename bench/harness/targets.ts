import type { Comparison } from './measure.js';
import { round } from './stats.js';
import type { Contender, TargetResult } from './types.js';

/** A "ratio at least" target: met when `value >= threshold`. */
export function atLeast(text: string, value: number, threshold: number): TargetResult {
  return { text, met: value >= threshold, value: round(value, 3) };
}

/** A "ratio at most" target: met when `value <= threshold`. */
export function atMost(text: string, value: number, threshold: number): TargetResult {
  return { text, met: value <= threshold, value: round(value, 3) };
}

/** The contender with the lowest median p99, among those `filter` keeps. */
export function lowestTail(
  comparison: Comparison,
  contenders: readonly Contender[],
  filter: (contender: Contender) => boolean,
): string {
  const names = contenders.filter(filter).map((contender) => contender.name);
  return names.reduce((best, name) =>
    comparison.p99Ms(name) < comparison.p99Ms(best) ? name : best,
  );
}

/** The contender of `kind` with the highest median ops/s, among those `filter` keeps. */
export function fastest(
  comparison: Comparison,
  contenders: readonly Contender[],
  filter: (contender: Contender) => boolean,
): string {
  const names = contenders.filter(filter).map((contender) => contender.name);
  return names.reduce((best, name) =>
    comparison.opsPerSec(name) > comparison.opsPerSec(best) ? name : best,
  );
}
