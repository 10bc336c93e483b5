import 'reflect-metadata';
import { subscribe } from 'node:diagnostics_channel';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { CacheBusEvent } from '../lib/index.js';
import { startOurApp } from './contenders/ours.js';
import { makeProfile, type Profile } from './contenders/payload.js';
import { bentocacheTiers } from './contenders/peers.js';
import { onParentMessages } from './harness/child-process.js';

/**
 * One app server of the `invalidation-latency` scenario, forked by it: a writer (sets the hot key
 * to the version it is told) or a reader (reads the hot key in a loop and reports each newer
 * version it sees). Times are wall-clock milliseconds with sub-microsecond resolution
 * (`performance.timeOrigin + performance.now()`), comparable across the processes.
 *   argv: <ours|bentocache> <writer|reader> <pause between reads, ms> <redis host> <redis port>
 *         <namespace>
 */
export type ToChild =
  | { type: 'clock' }
  | { type: 'write'; version: number }
  | { type: 'read' }
  | { type: 'measure'; base: number }
  | { type: 'stop' }
  | { type: 'close' };

export type FromChild =
  | { type: 'ready' }
  | { type: 'clock'; at: number }
  | { type: 'wrote'; version: number; at: number }
  | { type: 'seen'; version: number; at: number }
  /** A reader applied the invalidation of `version`: its L1 copy of the hot key is gone. */
  | { type: 'applied'; version: number; at: number }
  | { type: 'done'; figures: ReaderFigures };

export interface ReaderFigures {
  reads: number;
  /** Reads that returned an older version than one an earlier read of this process returned. */
  staleReads: number;
  /** Reads begun after the bus message of version v had arrived here, that returned one below v. */
  staleAfterMessage: number;
  /** Bus messages received while measuring (one per eviction when none is lost). */
  messages: number;
}

/** What the scenario needs of a cache: the hot key's reads and writes, and its bus messages. */
interface Subject {
  get(key: string): Promise<unknown>;
  set(key: string, value: Profile): Promise<unknown>;
  /** Calls `listener` on each invalidation from another process, as its L1 applies it. */
  onInvalidation(listener: () => void): void;
  close(): Promise<void>;
}

const [subjectName, role, pause, host, port, namespace] = process.argv.slice(2);
const PAUSE_MS = Number(pause);
const KEY = `${namespace}hot`;

const SLEEPER = new Int32Array(new SharedArrayBuffer(4));
const stamp = () => performance.timeOrigin + performance.now();
const send = (message: FromChild) => process.send?.(message);

async function ours(): Promise<Subject> {
  const app = await startOurApp({
    store: 'redis',
    redis: { url: `redis://${host}:${port}` },
    keyPrefix: namespace,
    l1: true,
  });
  const { client } = app;
  return {
    get: (key) => client.get(key),
    set: (key, value) => client.set(key, value, 300),
    // Published once L1 has dropped what the message names.
    onInvalidation: (listener) =>
      subscribe('nestjs-distributed-cache:bus', (event) => {
        if ((event as CacheBusEvent).event === 'received') listener();
      }),
    close: () => app.close(),
  };
}

async function bentocache(): Promise<Subject> {
  const bento = bentocacheTiers({ host, port: Number(port) });
  await bento.get({ key: `${namespace}warm-up` }); // its store, and so its bus, opens on first use
  return {
    get: (key) => bento.get({ key }),
    set: (key, value) => bento.set({ key, value, ttl: 300_000 }),
    // Emitted in the same synchronous step as its L1 delete, just before it.
    onInvalidation: (listener) => void bento.on('bus:message:received', listener),
    close: () => bento.disconnectAll(),
  };
}

/**
 * Reads the hot key until stopped, one read per event-loop turn (as a server handles requests),
 * sleeping `PAUSE_MS` between two.
 */
class Reader {
  private running = false;
  private finished?: Promise<void>;
  private newest = -1;
  private base = -1;
  private received = 0;
  private receivedAtBase = 0;
  private readonly figures: ReaderFigures = {
    reads: 0,
    staleReads: 0,
    staleAfterMessage: 0,
    messages: 0,
  };

  constructor(private readonly subject: Subject) {
    subject.onInvalidation(() => this.invalidated());
  }

  start(): void {
    this.running = true;
    this.finished = this.loop();
  }

  /** From now on, message k received stands for version `base + k`. */
  measure(base: number): void {
    this.base = base;
    this.receivedAtBase = this.received;
  }

  async stop(): Promise<ReaderFigures> {
    this.running = false;
    await this.finished;
    this.figures.messages = this.received - this.receivedAtBase;
    return this.figures;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const announced = this.announced();
      const value = (await this.subject.get(KEY)) as Profile | undefined;
      const at = stamp();
      this.count(value?.id ?? -1, announced, at);
      await nextTurn();
      if (PAUSE_MS > 0) Atomics.wait(SLEEPER, 0, 0, PAUSE_MS);
    }
  }

  /** The newest version whose invalidation arrived here (-1 before measuring). */
  private announced(): number {
    return this.base < 0 ? -1 : this.base + this.received - this.receivedAtBase;
  }

  private invalidated(): void {
    this.received++;
    if (this.base >= 0) send({ type: 'applied', version: this.announced(), at: stamp() });
  }

  private count(version: number, announced: number, at: number): void {
    this.figures.reads++;
    if (version < this.newest) this.figures.staleReads++;
    if (version < announced) this.figures.staleAfterMessage++;
    if (version <= this.newest) return;
    this.newest = version;
    send({ type: 'seen', version, at });
  }
}

async function main(): Promise<void> {
  const subject = subjectName === 'bentocache' ? await bentocache() : await ours();
  const reader = role === 'reader' ? new Reader(subject) : undefined;
  onParentMessages<ToChild>(handle);
  async function handle(message: ToChild): Promise<void> {
    switch (message.type) {
      case 'clock':
        return void send({ type: 'clock', at: stamp() });
      case 'write':
        await subject.set(KEY, makeProfile(message.version));
        return void send({ type: 'wrote', version: message.version, at: stamp() });
      case 'read':
        return reader?.start();
      case 'measure':
        return reader?.measure(message.base);
      case 'stop':
        if (reader) send({ type: 'done', figures: await reader.stop() });
        return;
      case 'close':
        await subject.close();
        process.exit(0);
    }
  }
  send({ type: 'ready' });
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
