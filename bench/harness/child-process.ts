import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * A bench app process: `bench/<script>` forked with the bench's TypeScript hooks (after
 * `nodeOptions`) and an IPC channel, its output on the parent's.
 */
export function forkBenchChild(
  script: string,
  args: string[],
  nodeOptions: string[] = [],
): ChildProcess {
  const path = fileURLToPath(new URL(`../${script}`, import.meta.url));
  const register = fileURLToPath(new URL('../register.mjs', import.meta.url));
  return fork(path, args, {
    execArgv: [...nodeOptions, '--import', register],
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

/** Forks `script` and answers the first message it sends; rejects when it exits without one. */
export function firstMessageOf<M>(
  script: string,
  args: string[],
  nodeOptions: string[] = [],
): Promise<M> {
  const child = forkBenchChild(script, args, nodeOptions);
  return new Promise<M>((resolve, reject) => {
    child.once('message', (message: M) => resolve(message));
    child.once('exit', (code) => reject(new Error(`bench/${script} ${args[0]} exited (${code})`)));
  });
}
