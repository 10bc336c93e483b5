import 'reflect-metadata';
import { BenchContext } from './harness/context.js';
import { describeMachine } from './harness/meta.js';
import type { BenchResults, RunSettings, ScenarioResult } from './harness/types.js';
import { writeReports } from './report/write-reports.js';
import { scenarios } from './scenarios/index.js';

function settingsFrom(argv: readonly string[]): RunSettings & { only?: string[] } {
  const quick = argv.includes('--quick');
  const only = argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
  return {
    quick,
    repetitions: quick ? 3 : 7,
    durationMs: quick ? 150 : 1000,
    warmupMs: quick ? 500 : 500,
    only: only?.split(','),
  };
}

async function main(): Promise<void> {
  const settings = settingsFrom(process.argv.slice(2));
  const context = await BenchContext.start(settings);
  const results: ScenarioResult[] = [];
  try {
    for (const [id, run] of scenarios) {
      if (settings.only && !settings.only.includes(id)) continue;
      const started = performance.now();
      process.stdout.write(`${id} … `);
      const result = await run(context).finally(() => context.release());
      results.push(result);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(`${seconds} s`);
      console.table(result.contenders);
      for (const target of result.targets) {
        console.log(`  ${target.met ? 'met   ' : 'MISSED'} ${target.text}: ${target.value}`);
      }
    }
  } finally {
    await context.close();
  }
  const output: BenchResults = { meta: describeMachine(settings), scenarios: results };
  await writeReports(output, { partial: Boolean(settings.only) });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
