import 'reflect-metadata';
import { BenchContext } from './harness/context.js';
import { settingsFrom } from './harness/settings.js';
import { scenarios } from './scenarios/index.js';

/**
 * One scenario in a process of its own (`bench/run.ts` forks one per scenario): its result goes
 * to the parent over IPC. Its own servers, started and stopped here.
 */
async function runOne(id: string, argv: readonly string[]): Promise<void> {
  const run = scenarios.find(([name]) => name === id)?.[1];
  if (!run) throw new Error(`No bench scenario '${id}'.`);
  const send = process.send?.bind(process);
  if (!send) throw new Error('bench/scenario.child.ts runs forked by bench/run.ts: npm run bench.');
  const context = await BenchContext.start(settingsFrom(argv));
  try {
    const result = await run(context);
    await new Promise<void>((sent, failed) =>
      send(result, (error: Error | null) => (error ? failed(error) : sent())),
    );
  } finally {
    await context.close();
  }
}

const [id, ...argv] = process.argv.slice(2);
runOne(id, argv).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
