import { expect } from 'vitest';
import type { CacheModuleOptions, CacheStats } from '../../lib/index.js';
import { startCacheApp, type CacheApp } from './cache-app.js';
import { eventually } from './store-contract.js';

function statsOf(app: CacheApp): CacheStats {
  return app.client.stats();
}

/** Messages `app` has received from the other app servers so far. */
export function busReceived(app: CacheApp): number {
  const { bus } = statsOf(app);
  expect(bus, 'the app has no invalidation bus').toBeDefined();
  return bus!.received;
}

/**
 * Resolves once `app` has received `total` bus messages in all. A change announced by another app
 * server has then reached its L1: the call that made it returned once the message was published,
 * and delivery is one hop more.
 */
export async function busDelivered(app: CacheApp, total: number, timeoutMs = 2000): Promise<void> {
  await eventually(() => busReceived(app) >= total, timeoutMs);
}

/** Resolves once the L1 of `app` answers again (its bus is subscribed), or rejects. */
export async function l1Trusted(app: CacheApp, timeoutMs = 10_000): Promise<void> {
  await eventually(() => statsOf(app).l1?.trusted === true, timeoutMs);
}

/** Resolves once `app` has stopped trusting its L1 (its bus is down), or rejects. */
export async function l1Distrusted(app: CacheApp, timeoutMs = 5000): Promise<void> {
  await eventually(() => statsOf(app).l1?.trusted === false, timeoutMs);
}

/** Hits answered by each tier so far. */
export function tierHits(app: CacheApp): { l1: number; l2: number } {
  const { l1Hits, l2Hits } = statsOf(app);
  return { l1: l1Hits, l2: l2Hits };
}

/**
 * Two app servers on `options` (with `l1`): a value set through one reaches the other's L1 by the
 * bus, the next read there is an L1 hit, and a second change reaches it too.
 */
export async function expectBusCarriesChanges(options: CacheModuleOptions): Promise<void> {
  const apps: CacheApp[] = [];
  try {
    apps.push(await startCacheApp(options), await startCacheApp(options));
    const [a, b] = apps;
    await Promise.all([l1Trusted(a), l1Trusted(b)]);
    await a.client.set('k', 'v1');
    await busDelivered(b, 1);
    expect(await b.client.get('k')).toBe('v1');
    expect(await b.client.get('k')).toBe('v1');
    expect(tierHits(b)).toEqual({ l1: 1, l2: 1 });
    await a.client.set('k', 'v2');
    await busDelivered(b, 2);
    expect(await b.client.get('k')).toBe('v2');
  } finally {
    await Promise.all(apps.map((app) => app.close()));
  }
}

/** How a test takes down the server that carries the bus, and sees another take over. */
export interface BusFailover {
  /** Kills the server the bus is subscribed on. */
  kill(): Promise<void>;
  /** Resolves once another server has taken over (a promoted replica). */
  recovered(): Promise<void>;
  /** Subscribers of the bus channel on the server that took over. */
  subscribers(): Promise<number>;
}

/**
 * Two app servers on `options` (with `l1`) through a failover of the bus's server: L1 is emptied
 * and distrusted within 2 s of the kill, trusted again once the bus is subscribed on the heir, and
 * a change made then reaches the other app. The apps go to `apps`, for the caller to close.
 */
export async function expectL1ThroughFailover(
  options: CacheModuleOptions,
  failover: BusFailover,
  apps: CacheApp[],
): Promise<void> {
  const [a, b] = [await startCacheApp(options), await startCacheApp(options)];
  apps.push(a, b);
  await Promise.all([l1Trusted(a), l1Trusted(b)]);
  let heard = busReceived(b);
  await a.client.set('k', 'v1');
  await busDelivered(b, heard + 1);
  expect(await b.client.get('k')).toBe('v1');
  expect(await b.client.get('k')).toBe('v1');
  expect(tierHits(b).l1).toBe(1);

  await failover.kill();
  await l1Distrusted(b, 2000);
  expect(b.client.stats().l1?.entries).toBe(0);
  await failover.recovered();
  await Promise.all([l1Trusted(a, 30_000), l1Trusted(b, 30_000)]);

  heard = busReceived(b);
  await eventually(async () => (await a.client.set('k', 'v2')) === true, 10_000);
  await busDelivered(b, heard + 1, 5000);
  expect(await b.client.get('k')).toBe('v2');
  expect(await b.client.get('k')).toBe('v2');
  expect(await failover.subscribers()).toBe(2);
}
