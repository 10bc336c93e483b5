import { Command, type Cluster, type Redis } from 'ioredis';
import { warnDriverFallback } from '../driver-fallback.js';

/** The ioredis version pinned in package.json: the internals below were read from its source. */
export const IOREDIS_TESTED_VERSION = '5.11.1';

/** The part of ioredis's `Command` the watchdog uses. */
export interface SentCommand {
  isResolved: boolean;
  reject(error: Error): void;
}

/** ioredis's queue of commands written and not yet answered (a `denque`), oldest first. */
export interface CommandQueue {
  readonly length: number;
  peekAt(index: number): { command: SentCommand } | undefined;
}

/** The client's current queue (ioredis replaces it on every connection), as the watchdog reads it. */
export function commandQueueOf(client: Redis): CommandQueue {
  return (client as unknown as { commandQueue: CommandQueue }).commandQueue;
}

let commandsAsExpected: boolean | undefined;

/**
 * Whether `client` keeps its unanswered commands where `CommandWatchdog` reads them (`commandQueue`,
 * a denque of `{ command }`), and ioredis's `Command` has the `isResolved` flag and `reject` the
 * watchdog uses. If not, logs one warning (per process) and answers `false`: the store then times
 * each command itself, through the public promise API.
 */
export function canWatchCommands(client: Redis): boolean {
  const queue = (client as unknown as { commandQueue?: Partial<CommandQueue> }).commandQueue;
  const queueAsExpected =
    typeof queue?.peekAt === 'function' &&
    typeof queue.length === 'number' &&
    (queue.length > 0 || queue.peekAt(0) === undefined);
  commandsAsExpected ??= probeCommand();
  if (queueAsExpected && commandsAsExpected) return true;
  warnDriverFallback({
    dependency: 'ioredis',
    tested: IOREDIS_TESTED_VERSION,
    found: queueAsExpected
      ? 'its Command has no isResolved flag or reject() as expected'
      : 'its client keeps no commandQueue with peekAt() and length',
    lost: 'the one watchdog timer per connection (each command is timed by its own timer instead, a little slower)',
  });
  return false;
}

/** A command made and answered in memory (never sent): it must flip `isResolved` as it resolves. */
function probeCommand(): boolean {
  try {
    const probe = new Command('get', ['probe']) as unknown as Partial<SentCommand> & {
      resolve?: (value: unknown) => void;
    };
    if (probe.isResolved !== false || typeof probe.reject !== 'function') return false;
    probe.resolve?.(Buffer.from('probe'));
    return (probe.isResolved as boolean) === true;
  } catch {
    return false;
  }
}

/**
 * Whether `error` is ioredis's own command timeout (its `commandTimeout` option, set on a client
 * handed in). ioredis 5.11.1 has no error class or code for it, only this message (Command.js,
 * `setTimeout`); the one place the package reads an error message, checked against a real client
 * by test/fault/user-client-timeout.spec.ts.
 */
export function isIoredisCommandTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === 'Command timed out';
}

/** The client's own ioredis `commandTimeout`, if it has one (per node options on a Cluster). */
export function ownCommandTimeout(client: Redis | Cluster): number | undefined {
  const options = client.isCluster
    ? (client as Cluster).options.redisOptions
    : (client as Redis).options;
  return options?.commandTimeout;
}
