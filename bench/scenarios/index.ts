import type { BenchContext } from '../harness/context.js';
import type { ScenarioResult } from '../harness/types.js';
import { hotKeyExpiry } from './hot-key-expiry.js';
import { invalidationLatency } from './invalidation-latency.js';
import { l1MemoryBound } from './l1-memory-bound.js';
import { hungServer } from './hung-server.js';
import { memoryBound } from './memory-bound.js';
import { memoryHit } from './memory-hit.js';
import { missSet } from './miss-set.js';
import { memcachedHit, redisHit } from './remote-hit.js';
import { sourceDown } from './source-down.js';
import { stampedeScenario } from './stampede.js';
import { stampedeDistributed } from './stampede-distributed.js';
import { twoTierHit } from './two-tier-hit.js';

type Scenario = (context: BenchContext) => Promise<ScenarioResult>;

/** Every scenario, by the id it has in `latest.json`, in the order they run. */
export const scenarios: [string, Scenario][] = [
  ['memory-hit', memoryHit],
  ['redis-hit-c1', (context) => redisHit(context, 1)],
  ['redis-hit-c100', (context) => redisHit(context, 100)],
  ['memcached-hit-c1', (context) => memcachedHit(context, 1)],
  ['memcached-hit-c100', (context) => memcachedHit(context, 100)],
  ['miss-set', missSet],
  ['stampede', stampedeScenario],
  ['payload-10k', (context) => redisHit(context, 100, 10_000)],
  ['payload-100k', (context) => redisHit(context, 100, 100_000)],
  ['memory-bound', memoryBound],
  ['two-tier-hit', twoTierHit],
  ['invalidation-latency', invalidationLatency],
  ['l1-memory-bound', l1MemoryBound],
  ['hung-server', hungServer],
  ['stampede-distributed', stampedeDistributed],
  ['hot-key-expiry', hotKeyExpiry],
  ['source-down', sourceDown],
];
