import 'reflect-metadata';
import { firstMessageOf } from './harness/child-process.js';
import { describeMachine } from './harness/meta.js';
import { settingsFrom } from './harness/settings.js';
import type { BenchResults, ScenarioResult } from './harness/types.js';
import { writeReports } from './report/write-reports.js';
import { scenarios } from './scenarios/index.js';

/**
 * Runs each scenario in a Node process of its own, one after the other: what one scenario leaves
 * behind (the JIT's feedback from every store and peer it ran, their garbage) never weighs on the
 * next, as no app runs every store and peer of this bench at once.
 */
async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const settings = settingsFrom(argv);
  const results: ScenarioResult[] = [];
  for (const [id] of scenarios) {
    if (settings.only && !settings.only.includes(id)) continue;
    const started = performance.now();
    process.stdout.write(`${id} … `);
    const result = await firstMessageOf<ScenarioResult>(
      'scenario.child.ts',
      [id, ...argv],
      ['--expose-gc'],
    );
    results.push(result);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`${seconds} s`);
    console.table(result.contenders);
    for (const target of result.targets) {
      console.log(`  ${target.met ? 'met   ' : 'MISSED'} ${target.text}: ${target.value}`);
    }
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
