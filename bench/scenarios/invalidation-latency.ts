import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { FromChild, ReaderFigures, ToChild } from '../invalidation-latency.child.js';
import { forkBenchChild } from '../harness/child-process.js';
import type { BenchContext } from '../harness/context.js';
import { percentile, round } from '../harness/stats.js';
import type { ContenderKind, ContenderResult, ScenarioResult } from '../harness/types.js';

type SubjectName = 'ours' | 'bentocache';

const READERS = 3;
const WARM_UP = 200;
/**
 * Each reader sleeps this long between two reads (a blocking wait: a message that arrives meanwhile
 * is handled after it, which the latency includes). Reading without a pause, three readers, the
 * writer and Redis ask for five cores on a machine of two, and the latency measured is the
 * scheduler's time slice (see BENCHMARKS.md).
 */
const READ_PAUSE_MS = Number(process.env.BENCH_READ_PAUSE_MS ?? 0.05);
/** An eviction not seen by every reader by then is counted as timed out (and the run goes on). */
const SEEN_TIMEOUT_MS = 2000;
const SUBJECTS: { subject: SubjectName; name: string; kind: ContenderKind; channels: string }[] = [
  { subject: 'ours', name: 'ours (redis, l1: true)', kind: 'ours', channels: 'inval:*bus' },
  {
    subject: 'bentocache',
    name: 'bentocache (L1 memory + L2 redis + bus)',
    kind: 'peer',
    channels: 'bentocache.notifications*',
  },
];

interface Waiter {
  resolve(message: FromChild): void;
  reject(error: Error): void;
}

const stamp = () => performance.timeOrigin + performance.now();

/** One forked app server and what it reported. */
class AppProcess {
  readonly child: ChildProcess;
  /** Reader: when it first returned each version (or a newer one). */
  readonly firstSeenAt: number[] = [];
  /** Reader: when it applied the invalidation of each version (its L1 copy dropped). */
  readonly appliedAt: number[] = [];
  private newest = -1;
  private readonly waiters = new Map<string, Waiter>();
  private seenWaiter?: { version: number; resolve: () => void };
  private exitCode?: number | string;

  constructor(args: string[]) {
    this.child = forkBenchChild('invalidation-latency.child.ts', args);
    this.child.on('message', (message: FromChild) => this.receive(message));
    this.child.on('exit', (code, signal) => this.exited(code ?? signal ?? 'unknown'));
  }

  send(message: ToChild): void {
    this.child.send(message);
  }

  /** The next message of `type`. */
  next<T extends FromChild['type']>(type: T): Promise<Extract<FromChild, { type: T }>> {
    if (this.exitCode !== undefined) return Promise.reject(this.exitError());
    return new Promise((resolve, reject) => {
      this.waiters.set(type, { resolve: resolve as Waiter['resolve'], reject });
    });
  }

  ask<T extends FromChild['type']>(message: ToChild, reply: T) {
    const answer = this.next(reply);
    this.send(message);
    return answer;
  }

  /** Resolves once this reader returned `version` or a newer one; `false` after the timeout. */
  seen(version: number): Promise<boolean> {
    if (this.newest >= version) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), SEEN_TIMEOUT_MS);
      this.seenWaiter = {
        version,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.send({ type: 'close' });
    const closed = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
    if (!closed) this.child.kill('SIGKILL');
  }

  private receive(message: FromChild): void {
    if (message.type === 'seen') return this.recordSeen(message.version, message.at);
    if (message.type === 'applied') return void (this.appliedAt[message.version] = message.at);
    const waiter = this.waiters.get(message.type);
    this.waiters.delete(message.type);
    waiter?.resolve(message);
  }

  private exited(code: number | string): void {
    this.exitCode = code;
    for (const waiter of this.waiters.values()) waiter.reject(this.exitError());
    this.waiters.clear();
  }

  private exitError(): Error {
    return new Error(`an app process of the scenario exited (${this.exitCode})`);
  }

  private recordSeen(version: number, at: number): void {
    for (let v = Math.max(0, this.newest + 1); v <= version; v++) this.firstSeenAt[v] = at;
    this.newest = version;
    if (this.seenWaiter && version >= this.seenWaiter.version) {
      const { resolve } = this.seenWaiter;
      this.seenWaiter = undefined;
      resolve();
    }
  }
}

/**
 * How far apart two processes' clocks can be: per process, the ping with the shortest round trip
 * bounds its offset from this one by |offset| + half the round trip; two processes, twice the worst.
 */
async function clockSkewBoundMs(apps: AppProcess[]): Promise<number> {
  let worst = 0;
  for (const app of apps) {
    let best = { rtt: Infinity, offset: 0 };
    for (let i = 0; i < 20; i++) {
      const sent = stamp();
      const { at } = await app.ask({ type: 'clock' }, 'clock');
      const back = stamp();
      if (back - sent < best.rtt) best = { rtt: back - sent, offset: at - (sent + back) / 2 };
    }
    worst = Math.max(worst, Math.abs(best.offset) + best.rtt / 2);
  }
  return 2 * worst;
}

/** Waits until `count` subscriptions exist on the channels matching `pattern`. */
async function waitForSubscribers(url: string, pattern: string, count: number): Promise<void> {
  const redis = new Redis(url);
  try {
    for (let tries = 0; tries < 200; tries++) {
      const channels = (await redis.pubsub('CHANNELS', pattern)) as string[];
      const counts = channels.length
        ? ((await redis.pubsub('NUMSUB', ...channels)) as (string | number)[])
        : [];
      const total = counts.filter((_, i) => i % 2 === 1).reduce<number>((a, b) => a + Number(b), 0);
      if (total >= count) return;
      await sleep(25);
    }
    throw new Error(`the bus of ${pattern} did not get ${count} subscribers`);
  } finally {
    redis.disconnect();
  }
}

/**
 * Each contender runs in two halves, fresh processes each, in the order A B B A: measured whole one
 * after the other, whichever ran first had the worse p99, in either order (BENCHMARKS.md).
 */
const HALVES_ORDER = [0, 1, 1, 0];

interface Run {
  /** Per eviction, until the last reader had applied the invalidation. */
  latencies: number[];
  /** Per eviction, until the last reader returned the new version. */
  readLatencies: number[];
  /** Per eviction, until the first reader returned the new version. */
  firstLatencies: number[];
  timedOut: number;
  seconds: number;
  clockSkewMs: number;
  readers: ReaderFigures[];
}

function joinHalves(first: Run, second: Run): Run {
  return {
    latencies: [...first.latencies, ...second.latencies],
    readLatencies: [...first.readLatencies, ...second.readLatencies],
    firstLatencies: [...first.firstLatencies, ...second.firstLatencies],
    timedOut: first.timedOut + second.timedOut,
    seconds: first.seconds + second.seconds,
    clockSkewMs: Math.max(first.clockSkewMs, second.clockSkewMs),
    readers: [...first.readers, ...second.readers],
  };
}

/**
 * Writes `version` and waits until every reader returned it. Ms from the write's return until the
 * last reader applied its invalidation (from then on no process can read the old value: each
 * one's next read goes to Redis, which has the new one), until the last reader returned it, and
 * until the first did. A reader applies its message before it can return the new version, and its
 * messages reach this process in that order.
 */
async function evict(writer: AppProcess, readers: AppProcess[], version: number) {
  const seen = Promise.all(readers.map((reader) => reader.seen(version)));
  const { at } = await writer.ask({ type: 'write', version }, 'wrote');
  const everyone = (await seen).every(Boolean);
  const latest = (times: number[]) => Math.max(...times.map((time) => time ?? Infinity));
  const applied = latest(readers.map((reader) => reader.appliedAt[version]));
  const read = latest(readers.map((reader) => reader.firstSeenAt[version]));
  const first = Math.min(...readers.map((reader) => reader.firstSeenAt[version] ?? Infinity));
  const since = (time: number) => Math.max(0, Math.min(time, at + SEEN_TIMEOUT_MS) - at);
  return { everyone, ms: since(applied), readMs: since(read), firstMs: since(first) };
}

async function runSubject(
  context: BenchContext,
  subject: SubjectName,
  channels: string,
  evictions: number,
): Promise<Run> {
  const namespace = `inval:${subject}:${process.pid}:`;
  const args = (role: string) => [
    subject,
    role,
    String(READ_PAUSE_MS),
    context.redis.host,
    String(context.redis.port),
    namespace,
  ];
  const writer = new AppProcess(args('writer'));
  const readers = Array.from({ length: READERS }, () => new AppProcess(args('reader')));
  const apps = [writer, ...readers];
  try {
    await Promise.all(apps.map((app) => app.next('ready')));
    await waitForSubscribers(context.redis.url, channels, apps.length);
    const clockSkewMs = await clockSkewBoundMs(apps);
    await writer.ask({ type: 'write', version: 0 }, 'wrote');
    readers.forEach((reader) => reader.send({ type: 'read' }));
    for (let version = 1; version <= WARM_UP; version++) await evict(writer, readers, version);
    await sleep(50); // every message of the warm-up delivered
    readers.forEach((reader) => reader.send({ type: 'measure', base: WARM_UP }));
    const latencies: number[] = [];
    const readLatencies: number[] = [];
    const firstLatencies: number[] = [];
    let timedOut = 0;
    const started = performance.now();
    for (let version = WARM_UP + 1; version <= WARM_UP + evictions; version++) {
      const { everyone, ms, readMs, firstMs } = await evict(writer, readers, version);
      latencies.push(ms);
      readLatencies.push(readMs);
      firstLatencies.push(firstMs);
      if (!everyone) timedOut++;
    }
    const seconds = (performance.now() - started) / 1000;
    const figures = await Promise.all(
      readers.map((reader) => reader.ask({ type: 'stop' }, 'done').then((done) => done.figures)),
    );
    return {
      latencies,
      readLatencies,
      firstLatencies,
      timedOut,
      seconds,
      clockSkewMs,
      readers: figures,
    };
  } finally {
    await Promise.all(apps.map((app) => app.close()));
  }
}

function summarize(
  name: string,
  kind: ContenderKind,
  run: Run,
  evictions: number,
  baselineP99: number,
) {
  const sum = (field: keyof ReaderFigures) =>
    run.readers.reduce((total, figures) => total + figures[field], 0);
  const p99 = percentile(run.latencies, 99);
  return {
    name,
    kind,
    opsPerSec: Math.round(evictions / run.seconds),
    p50Ms: round(percentile(run.latencies, 50)),
    p99Ms: round(p99),
    ratio: round(baselineP99 / p99, 3),
    metrics: {
      evictions,
      maxMs: round(percentile(run.latencies, 100)),
      readP50Ms: round(percentile(run.readLatencies, 50)),
      readP99Ms: round(percentile(run.readLatencies, 99)),
      readMaxMs: round(percentile(run.readLatencies, 100)),
      firstReaderReadP99Ms: round(percentile(run.firstLatencies, 99)),
      staleReads: sum('staleReads'),
      staleAfterMessage: sum('staleAfterMessage'),
      timedOut: run.timedOut,
      messagesMissing: evictions * READERS - sum('messages'),
      reads: sum('reads'),
      clockSkewMs: round(run.clockSkewMs, 2),
    },
  } satisfies ContenderResult;
}

/**
 * `invalidation-latency`: four app processes on one Redis, each with L1 on one cache; one writes a
 * hot key, three read it in a loop. Per write: from the moment the writing call returned to the
 * moment every reader has returned the new version (the end of its first read that did).
 */
export async function invalidationLatency(context: BenchContext): Promise<ScenarioResult> {
  const evictions = context.settings.quick ? 1000 : 10_000;
  const halves: Run[][] = SUBJECTS.map(() => []);
  for (const i of HALVES_ORDER) {
    const { subject, channels } = SUBJECTS[i];
    halves[i].push(await runSubject(context, subject, channels, evictions / 2));
  }
  const runs = halves.map(([first, second]) => joinHalves(first, second));
  const ourP99 = percentile(runs[0].latencies, 99);
  const contenders = SUBJECTS.map(({ name, kind }, i) =>
    summarize(name, kind, runs[i], evictions, ourP99),
  );
  const ours = contenders[0];
  const stale = ours.metrics.staleReads + ours.metrics.staleAfterMessage;
  return {
    id: 'invalidation-latency',
    title: `Invalidation latency: 1 writer and ${READERS} readers of one hot key, each process with L1`,
    baseline: SUBJECTS[0].name,
    method: [
      `Four forked app processes on one Redis, each with its L1; the writer sets the hot key to version v, the ${READERS} others read it in a loop (one read per event-loop turn, ${READ_PAUSE_MS} ms asleep between two; BENCH_READ_PAUSE_MS=0 reads without pause).`,
      "Latency of an eviction: from the writer's set() returning until the last reader has applied the invalidation of v (its L1 copy dropped: from then on none can read the old value, which staleAfterMessage checks); readP50Ms/readP99Ms: until the last reader's first read that returned v, an upper bound that adds that reader's next read (its pause and a Redis round trip). Wall-clock stamps (performance.timeOrigin + now()) compared across processes; clockSkewMs bounds their offset. The next write waits for every reader to return v.",
      `Each contender runs in two halves of ${evictions / 2} evictions (fresh processes each) in the order ours, bentocache, bentocache, ours.`,
      "p50/p99 over the evictions, warm-up excluded; ops/s: evictions per second; ratio: ours' p99 ÷ this p99.",
      'staleReads: reads that returned an older version than an earlier read of the same process; staleAfterMessage: reads begun after the invalidation of v had arrived there that returned a version below v.',
    ].join(' '),
    contenders,
    targets: [
      {
        text: `${ours.name}: p99 < 5 ms from the evicting call's return until no reader can read the old value, over ${evictions.toLocaleString('en')} evictions (p50 ${ours.p50Ms}, max ${ours.metrics.maxMs} ms; until every reader had read the new one: p99 ${ours.metrics.readP99Ms} ms)`,
        met: ours.p99Ms < 5 && ours.metrics.timedOut === 0,
        value: ours.p99Ms,
      },
      {
        text: `${ours.name}: 0 stale reads after the reader saw the invalidation (stale ${ours.metrics.staleReads}, after message ${ours.metrics.staleAfterMessage}, messages missing ${ours.metrics.messagesMissing})`,
        met: stale === 0 && ours.metrics.messagesMissing === 0,
        value: stale,
      },
    ],
  };
}
