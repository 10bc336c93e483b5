import 'reflect-metadata';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeProfile } from './contenders/payload.js';
import { bentocache } from './contenders/peers.js';
import {
  LOADER_MS,
  StampedeService,
  startResilientApp,
  type ResilientApp,
} from './contenders/resilient-services.js';
import { onParentMessages } from './harness/child-process.js';

/**
 * One app server of the `stampede-distributed` scenario, forked by it. On `run`, at the wall-clock
 * time `startAt` (`performance.timeOrigin + performance.now()`, comparable across processes), it
 * starts `callers` concurrent calls on one cold key through the named subject, and reports its
 * loader calls and when each caller had its answer.
 *   argv: <redis host> <redis port> <memcached servers, comma-separated> <namespace>
 */
export type SubjectId =
  | 'redis-local'
  | 'redis-distributed'
  | 'redis-l1-distributed'
  | 'memcached-local'
  | 'memcached-distributed'
  | 'bentocache';

export type ToChild =
  | { type: 'clock' }
  | { type: 'run'; subject: SubjectId; key: string; callers: number; startAt: number }
  | { type: 'close' };

export type FromChild =
  | { type: 'ready' }
  | { type: 'clock'; at: number }
  | { type: 'ran'; loads: number; latencies: number[] };

const [host, port, memcachedServers, namespace] = process.argv.slice(2);
const stamp = () => performance.timeOrigin + performance.now();
const send = (message: FromChild) => process.send?.(message);

interface Subject {
  call(key: string): Promise<unknown>;
  loads(): number;
}

function oursSubjects(app: ResilientApp<StampedeService>, store: string) {
  const { service } = app;
  const loads = () => service.loads;
  return {
    [`${store}-local`]: { call: (key: string) => service.local(key), loads },
    [`${store}-distributed`]: { call: (key: string) => service.distributed(key), loads },
  };
}

async function openSubjects() {
  const redis = await startResilientApp(
    { store: 'redis', redis: { url: `redis://${host}:${port}` }, keyPrefix: namespace },
    StampedeService,
  );
  const tiered = await startResilientApp(
    { store: 'redis', redis: { url: `redis://${host}:${port}` }, keyPrefix: namespace, l1: true },
    StampedeService,
  );
  const memcached = await startResilientApp(
    {
      store: 'memcached',
      memcached: { servers: memcachedServers.split(',') },
      keyPrefix: namespace,
    },
    StampedeService,
  );
  const bento = bentocache({ host, port: Number(port) });
  let bentoLoads = 0;
  const bentoLoad = async () => {
    bentoLoads++;
    await sleep(LOADER_MS);
    return makeProfile(1);
  };
  const subjects: Record<string, Subject> = {
    ...oursSubjects(redis, 'redis'),
    ...oursSubjects(memcached, 'memcached'),
    'redis-l1-distributed': oursSubjects(tiered, 'redis')['redis-distributed'],
    bentocache: {
      call: (key) => bento.getOrSet(namespace + key, bentoLoad),
      loads: () => bentoLoads,
    },
  };
  // Every connection opened before the first measured call.
  await Promise.all([
    redis.client.get('warm-up'),
    tiered.client.get('warm-up'),
    memcached.client.get('warm-up'),
    bento.get('warm-up'),
  ]);
  const close = () =>
    Promise.all([redis.close(), tiered.close(), memcached.close(), bento.close()]);
  return { subjects, close };
}

/** Sleeps until just before `at`, then spins: every process starts its callers at the same moment. */
async function waitUntil(at: number): Promise<void> {
  const ahead = at - stamp() - 2;
  if (ahead > 0) await sleep(ahead);
  while (stamp() < at);
}

async function run(subject: Subject, key: string, callers: number, startAt: number) {
  const loadsBefore = subject.loads();
  await waitUntil(startAt);
  const latencies = await Promise.all(
    Array.from({ length: callers }, async () => {
      await subject.call(key);
      return stamp() - startAt;
    }),
  );
  return { loads: subject.loads() - loadsBefore, latencies };
}

async function main(): Promise<void> {
  const { subjects, close } = await openSubjects();
  onParentMessages<ToChild>(handle);
  async function handle(message: ToChild): Promise<void> {
    switch (message.type) {
      case 'clock':
        return void send({ type: 'clock', at: stamp() });
      case 'run': {
        const { subject, key, callers, startAt } = message;
        return void send({ type: 'ran', ...(await run(subjects[subject], key, callers, startAt)) });
      }
      case 'close':
        await close();
        process.exit(0);
    }
  }
  send({ type: 'ready' });
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
