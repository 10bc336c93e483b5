import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { expect } from 'vitest';
import { Cacheable } from '../../lib/index.js';
import type { CacheApp } from './cache-app.js';

export interface Price {
  id: number;
  cents: number;
}

/** What `PriceService.price(id)` must answer, cache or no cache. */
export const expectedPrice = (id: number): Price => ({ id, cents: id * 7 + 1 });

export const priceKey = (id: number) => `price:${id}`;

/** A decorated service that counts how often its body ran, per id. */
@Injectable()
export class PriceService {
  readonly runs = new Map<number, number>();

  @Cacheable({ key: (id: number) => priceKey(id), ttl: '5m' })
  async price(id: number): Promise<Price> {
    this.runs.set(id, (this.runs.get(id) ?? 0) + 1);
    return expectedPrice(id);
  }

  ran(id: number): number {
    return this.runs.get(id) ?? 0;
  }
}

/** Two calls for `id` ran the body at most once, and the entry is in the cache. */
export async function servedFromCache(app: CacheApp, prices: PriceService, id: number) {
  const before = prices.ran(id);
  const results = await Promise.all([prices.price(id), prices.price(id)]);
  if (results.some((result) => result.cents !== expectedPrice(id).cents)) {
    throw new Error(`wrong result for ${id}: ${JSON.stringify(results)}`);
  }
  return prices.ran(id) - before <= 1 && (await app.client.has(priceKey(id)));
}

/** Whether every id was answered from the cache (its body did not run again). */
export async function allCached(prices: PriceService, ids: readonly number[]): Promise<boolean> {
  const before = ids.map((id) => prices.ran(id));
  await Promise.all(ids.map((id) => prices.price(id)));
  return ids.every((id, i) => prices.ran(id) === before[i]);
}

/**
 * Every call of the load got the method's own result, and the load really met the dead master:
 * some calls fell through to the method, and the client counted failures.
 */
export function expectFailedOpen(report: LoadReport, app: CacheApp): void {
  expect(report.thrown).toEqual([]);
  expect(report.wrong).toEqual([]);
  expect(report.firstRerunMs).toBeDefined();
  expect(app.client.stats().errors).toBeGreaterThan(0);
}

export interface LoadReport {
  calls: number;
  /** Calls whose result differed from the method's own result (must stay empty). */
  wrong: { id: number; result: unknown }[];
  /** Calls that threw (must stay empty). */
  thrown: unknown[];
  /** The slowest call, ms. */
  slowestMs: number;
  /** Calls slower than 50 ms. */
  slowCalls: number;
  /** First and last moment (ms since the load began) a call ran the method body again. */
  firstRerunMs?: number;
  lastRerunMs?: number;
}

export interface Load {
  /** Stops the workers and resolves with what they saw. */
  stop(): Promise<LoadReport>;
}

/**
 * `workers` loops calling `prices.price(id)` over `ids` in turn, a short pause between calls,
 * until `stop()` — or `maxCallsPerWorker` calls each, whichever comes first. Every result is
 * checked against the method's own.
 */
export function startLoad(
  prices: PriceService,
  ids: readonly number[],
  { workers = 8, pauseMs = 2, maxCallsPerWorker = 20_000 } = {},
): Load {
  const report: LoadReport = { calls: 0, wrong: [], thrown: [], slowestMs: 0, slowCalls: 0 };
  const started = Date.now();
  let stopping = false;
  const loops = Array.from({ length: workers }, async (_, worker) => {
    for (let i = 0; !stopping && i < maxCallsPerWorker; i++) {
      const id = ids[(i * workers + worker) % ids.length];
      const runsBefore = prices.ran(id);
      const begin = Date.now();
      try {
        const result = await prices.price(id);
        if (result.id !== id || result.cents !== expectedPrice(id).cents) {
          report.wrong.push({ id, result });
        }
      } catch (error) {
        report.thrown.push(error);
      }
      const took = Date.now() - begin;
      report.calls++;
      report.slowestMs = Math.max(report.slowestMs, took);
      if (took > 50) report.slowCalls++;
      if (prices.ran(id) > runsBefore) {
        report.firstRerunMs ??= begin - started;
        report.lastRerunMs = begin - started;
      }
      await sleep(pauseMs);
    }
  });
  return {
    async stop() {
      stopping = true;
      await Promise.all(loops);
      return report;
    },
  };
}
