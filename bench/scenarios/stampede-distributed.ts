import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { startMemcached } from '../../test/support/servers.js';
import type { FromChild, SubjectId, ToChild } from '../stampede-distributed.child.js';
import { LOADER_MS } from '../contenders/resilient-services.js';
import { forkBenchChild } from '../harness/child-process.js';
import type { BenchContext } from '../harness/context.js';
import { median, percentile, round } from '../harness/stats.js';
import type {
  ContenderKind,
  ContenderResult,
  ScenarioResult,
  TargetResult,
} from '../harness/types.js';

const CALLERS = 1000;
const PROCESSES = 4;
/** Memcached servers in the pool: the bench's own and two more started here. */
const POOL_SIZE = 3;
/** How far ahead of now a run is scheduled, so that every process is waiting when it starts. */
const START_LEAD_MS = 40;

/** One measured configuration: a subject of the child, in 4 processes or in 1. */
interface Row {
  name: string;
  kind: ContenderKind;
  subject: SubjectId;
  processes: number;
  /** The row whose single-process time this row's time is divided by. */
  baseline: string;
}

const REDIS_ONE = '@Cacheable (redis), 1 process';
const MEMCACHED_ONE = `@Cacheable (memcached pool of ${POOL_SIZE}), 1 process`;
const BENTO_ONE = 'bentocache getOrSet (redis L2), 1 process';
const ROWS: Row[] = [
  row("@Cacheable (redis, lock: 'distributed')", 'ours', 'redis-distributed', 4, REDIS_ONE),
  row(
    "@Cacheable (redis, l1: true, lock: 'distributed')",
    'ours',
    'redis-l1-distributed',
    4,
    REDIS_ONE,
  ),
  row("@Cacheable (redis, lock: 'local')", 'ours', 'redis-local', 4, REDIS_ONE),
  row(REDIS_ONE, 'ours', 'redis-local', 1, REDIS_ONE),
  row(
    `@Cacheable (memcached pool of ${POOL_SIZE}, lock: 'distributed')`,
    'ours',
    'memcached-distributed',
    4,
    MEMCACHED_ONE,
  ),
  row(
    `@Cacheable (memcached pool of ${POOL_SIZE}, lock: 'local')`,
    'ours',
    'memcached-local',
    4,
    MEMCACHED_ONE,
  ),
  row(MEMCACHED_ONE, 'ours', 'memcached-local', 1, MEMCACHED_ONE),
  row('bentocache getOrSet (redis L2)', 'peer', 'bentocache', 4, BENTO_ONE),
  row(BENTO_ONE, 'peer', 'bentocache', 1, BENTO_ONE),
];

function row(
  name: string,
  kind: ContenderKind,
  subject: SubjectId,
  processes: number,
  baseline: string,
): Row {
  const spread = processes > 1 ? `, ${processes} processes` : '';
  return { name: processes > 1 ? name + spread : name, kind, subject, processes, baseline };
}

const stamp = () => performance.timeOrigin + performance.now();

/** One forked app server. */
class AppProcess {
  private readonly child: ChildProcess;
  private waiter?: { resolve(message: FromChild): void; reject(error: Error): void };
  private exited = false;

  constructor(args: string[]) {
    this.child = forkBenchChild('stampede-distributed.child.ts', args);
    this.child.on('message', (message: FromChild) => {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter?.resolve(message);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      this.waiter?.reject(new Error(`an app process of the scenario exited (${code ?? signal})`));
    });
  }

  /** The next message from the child, after sending `message` when given. */
  next<T extends FromChild['type']>(type: T, message?: ToChild) {
    if (this.exited) return Promise.reject(new Error('an app process of the scenario exited'));
    const answer = new Promise<FromChild>((resolve, reject) => (this.waiter = { resolve, reject }));
    if (message) this.child.send(message);
    return answer as Promise<Extract<FromChild, { type: T }>>;
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const exited = once(this.child, 'exit');
    this.child.send({ type: 'close' } satisfies ToChild);
    const closed = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
    if (!closed) this.child.kill('SIGKILL');
  }
}

/** Bound on two processes' clock offset: per process, the ping with the shortest round trip. */
async function clockSkewBoundMs(apps: AppProcess[]): Promise<number> {
  let worst = 0;
  for (const app of apps) {
    let best = { rtt: Infinity, offset: 0 };
    for (let i = 0; i < 20; i++) {
      const sent = stamp();
      const { at } = await app.next('clock', { type: 'clock' });
      const back = stamp();
      if (back - sent < best.rtt) best = { rtt: back - sent, offset: at - (sent + back) / 2 };
    }
    worst = Math.max(worst, Math.abs(best.offset) + best.rtt / 2);
  }
  return 2 * worst;
}

interface Run {
  loads: number;
  /** Until the last caller of every process had its answer, from the common start. */
  totalMs: number;
  latencies: number[];
}

/** `CALLERS` calls on `key`, spread evenly over the first `row.processes` app processes. */
async function stampede(apps: AppProcess[], target: Row, key: string): Promise<Run> {
  const startAt = stamp() + START_LEAD_MS;
  const callers = CALLERS / target.processes;
  const reports = await Promise.all(
    apps
      .slice(0, target.processes)
      .map((app) =>
        app.next('ran', { type: 'run', subject: target.subject, key, callers, startAt }),
      ),
  );
  const latencies = reports.flatMap((report) => report.latencies);
  const loads = reports.reduce((total, report) => total + report.loads, 0);
  return { loads, totalMs: Math.max(...latencies), latencies };
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

function summarize(target: Row, runs: Run[], baselineRuns: Run[]): ContenderResult {
  const totals = runs.map((run) => run.totalMs);
  const loads = runs.map((run) => run.loads);
  return {
    name: target.name,
    kind: target.kind,
    opsPerSec: Math.round(CALLERS / (median(totals) / 1000)),
    p50Ms: round(median(runs.map((run) => percentile(run.latencies, 50)))),
    p99Ms: round(median(runs.map((run) => percentile(run.latencies, 99)))),
    ratio: round(median(totals.map((total, i) => total / baselineRuns[i].totalMs)), 3),
    metrics: {
      processes: target.processes,
      loaderCallsMin: Math.min(...loads),
      loaderCallsMax: Math.max(...loads),
      totalMs: round(median(totals)),
      totalMsMax: round(Math.max(...totals)),
    },
  };
}

function targetsOf(contenders: ContenderResult[]): TargetResult[] {
  const locked = contenders.filter(
    (contender) => contender.name.includes("'distributed'") && !contender.name.includes('l1'),
  );
  return locked.flatMap((contender) => {
    const { loaderCallsMin, loaderCallsMax, totalMs } = contender.metrics ?? {};
    const baseline = ROWS.find((candidate) => candidate.name === contender.name)?.baseline;
    return [
      {
        text: `${contender.name}: exactly 1 loader call in total, every round (min ${loaderCallsMin}, max ${loaderCallsMax})`,
        met: loaderCallsMin === 1 && loaderCallsMax === 1,
        value: typeof loaderCallsMax === 'number' ? loaderCallsMax : null,
      },
      {
        text: `${contender.name}: time until the last caller answered ≤ 1.5× ${baseline} (median ${totalMs} ms)`,
        met: contender.ratio <= 1.5,
        value: contender.ratio,
      },
    ];
  });
}

/** The bench's memcached and `POOL_SIZE - 1` more, stopped with the scenario. */
async function startPool(context: BenchContext): Promise<string[]> {
  const more = await Promise.all(Array.from({ length: POOL_SIZE - 1 }, () => startMemcached()));
  for (const server of more) context.own({ close: () => server.stop() });
  return [context.memcached.address, ...more.map((server) => server.address)];
}

/**
 * `stampede-distributed`: 1,000 concurrent calls on one cold key (a fresh one each round), 50 ms
 * loader, spread over four forked app processes on one Redis or one Memcached pool, beside the
 * same 1,000 calls in one of those processes.
 */
export async function stampedeDistributed(context: BenchContext): Promise<ScenarioResult> {
  const pool = await startPool(context);
  const namespace = `sd:${process.pid}:`;
  const args = [context.redis.host, String(context.redis.port), pool.join(','), namespace];
  const apps = Array.from({ length: PROCESSES }, () => new AppProcess(args));
  const runs = new Map<string, Run[]>(ROWS.map((target) => [target.name, []]));
  const rounds = Math.max(5, 2 * context.settings.repetitions);
  let clockSkewMs: number;
  try {
    await Promise.all(apps.map((app) => app.next('ready')));
    clockSkewMs = await clockSkewBoundMs(apps);
    for (const target of ROWS) await stampede(apps, target, `warm-up:${target.name}`);
    for (let r = 0; r < rounds; r++) {
      for (const [i, target] of rotate(ROWS, r).entries()) {
        runs.get(target.name)?.push(await stampede(apps, target, `round:${r}:${i}`));
      }
    }
  } finally {
    await Promise.all(apps.map((app) => app.close()));
  }
  const contenders = ROWS.map((target) =>
    summarize(target, runs.get(target.name) ?? [], runs.get(target.baseline) ?? []),
  );
  return {
    id: 'stampede-distributed',
    title: `Stampede over ${PROCESSES} app processes: ${CALLERS.toLocaleString('en')} concurrent calls on one cold key, ${LOADER_MS} ms loader`,
    baseline: 'the same store, 1 process (time ÷ its time)',
    method: [
      `${PROCESSES} forked app processes (each a Nest app on the bench's Redis and on a pool of ${POOL_SIZE} memcached servers, plus a bentocache with its Redis driver as L2); each round, a fresh key, every process starts ${CALLERS / PROCESSES} concurrent calls at the same wall-clock moment (clocks within ${round(clockSkewMs, 2)} ms), or one process starts all ${CALLERS}.`,
      `Time: from that moment to the last caller's answer in any process; loader calls summed over the processes; ${rounds} rounds, rows rotated each round; time and ratio are medians, loader calls the min and max over the rounds.`,
      'Ratio: this time ÷ the single-process time of the same store (lock: local) in the same round.',
    ].join(' '),
    contenders,
    targets: targetsOf(contenders),
  };
}
