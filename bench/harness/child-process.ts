import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * A bench app process: `bench/<script>` forked with the bench's TypeScript hooks and an IPC
 * channel, its output on the parent's.
 */
export function forkBenchChild(script: string, args: string[]): ChildProcess {
  const path = fileURLToPath(new URL(`../${script}`, import.meta.url));
  const register = fileURLToPath(new URL('../register.mjs', import.meta.url));
  return fork(path, args, {
    execArgv: ['--import', register],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** In a bench child: hands each message from the parent to `handle`; a failure ends the process. */
export function onParentMessages<M>(handle: (message: M) => Promise<void>): void {
  process.on('message', (message: M) => {
    void handle(message).catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  });
}

/** In a one-shot bench child: prints what `run` resolves to as one JSON line, then exits. */
export function printFiguresAndExit(run: Promise<unknown>): void {
  run.then(
    (figures) => {
      console.log(JSON.stringify(figures));
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
