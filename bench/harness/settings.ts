import type { RunSettings } from './types.js';

/** The run's settings from its command line: `--quick`, `--only=a,b`. */
export function settingsFrom(argv: readonly string[]): RunSettings & { only?: string[] } {
  const quick = argv.includes('--quick');
  const only = argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
  return {
    quick,
    repetitions: quick ? 3 : 7,
    durationMs: quick ? 150 : 1000,
    warmupMs: 500,
    only: only?.split(','),
  };
}
