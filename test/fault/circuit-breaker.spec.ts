import { Injectable, Logger } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Cacheable, type CacheModuleOptions } from '../../lib/index.js';
import { freshPrefix, startCacheApp, type CacheApp } from '../support/cache-app.js';
import { pausableTopologies, type PausableTopology } from '../support/pausable-topologies.js';
import type { ServerProcess } from '../support/servers.js';
import { eventually } from '../support/store-contract.js';

const FAILURES = 3;
const BREAK_FOR_MS = 1000;
const COMMAND_TIMEOUT_MS = 200;
/** What the package promises for a call while the circuit is open: no wait on the server. */
const OPEN_CALL_BOUND_MS = 50;

@Injectable()
class QuoteService {
  calls = 0;

  @Cacheable({ key: (id: number) => `quote:${id}`, ttl: 60 })
  async quote(id: number): Promise<{ id: number; price: number }> {
    this.calls++;
    return { id, price: id * 10 };
  }
}

const BREAKER = { failures: FAILURES, breakFor: `${BREAK_FOR_MS}ms` };

describe.each(pausableTopologies)('circuit breaker on $name', (spec) => {
  let topology: PausableTopology;
  let app: CacheApp;
  let quotes: QuoteService;
  let paused: ServerProcess | undefined;
  let prefix: string;

  const circuitOf = (address: string) =>
    app.client.stats().circuit?.nodes.find((node) => node.address === address);
  const servedFromCache = async (id: number) => {
    const before = quotes.calls;
    await quotes.quote(id);
    await quotes.quote(id);
    return quotes.calls - before <= 1 && (await app.client.has(`quote:${id}`));
  };
  const timed = async (id: number) => {
    const started = performance.now();
    const result = await quotes.quote(id);
    return { result, ms: performance.now() - started };
  };

  /** An app on a fresh prefix of the topology, with short command timeouts and `circuitBreaker`. */
  const openApp = async (circuitBreaker: CacheModuleOptions['circuitBreaker']) => {
    prefix = freshPrefix();
    const options = { keyPrefix: prefix, commandTimeout: COMMAND_TIMEOUT_MS, circuitBreaker };
    app = await startCacheApp({ ...topology.options(), ...options }, [QuoteService]);
    quotes = app.get(QuoteService);
  };

  beforeAll(async () => {
    topology = await spec.start();
  }, 60_000);
  afterEach(async () => {
    paused?.resume();
    paused = undefined;
    vi.restoreAllMocks();
    await app?.close();
  });
  afterAll(async () => {
    await topology?.stop();
  });

  it(`opens after ${FAILURES} timeouts, answers at once while open, closes after one probe once the server is back`, async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const log = vi.spyOn(Logger.prototype, 'log');
    await openApp(BREAKER);
    const ids = Array.from({ length: 12 }, (_, i) => i + 1);
    for (const id of ids) await quotes.quote(id);
    expect(await servedFromCache(1)).toBe(true);
    paused = await topology.ownerOf('quote:1', prefix);
    const owners = await Promise.all(ids.map((id) => topology.ownerOf(`quote:${id}`, prefix)));
    const elsewhere = ids.filter((_, i) => owners[i] !== paused);
    await paused.pause();

    for (let call = 1; call <= FAILURES; call++) {
      expect(circuitOf(paused.address)?.state ?? 'closed').toBe('closed');
      const { result, ms } = await timed(1);
      expect(result).toEqual({ id: 1, price: 10 });
      expect(ms).toBeGreaterThanOrEqual(COMMAND_TIMEOUT_MS * 0.9);
    }
    expect(circuitOf(paused.address)).toMatchObject({ state: 'open', opens: 1 });
    expect(app.client.stats().circuit?.opens).toBe(1);

    const whileOpen = await Promise.all([1, 1, 1, 1, 1].map(() => timed(1)));
    for (const { result, ms } of whileOpen) {
      expect(result).toEqual({ id: 1, price: 10 });
      expect(ms).toBeLessThan(OPEN_CALL_BOUND_MS);
    }
    for (let i = 0; i < 5; i++) {
      const { ms } = await timed(1);
      expect(ms).toBeLessThan(OPEN_CALL_BOUND_MS);
    }
    // The circuit is per server: keys on the other masters or pool members keep hitting.
    for (const id of elsewhere) expect(await servedFromCache(id), `quote:${id}`).toBe(true);

    paused.resume();
    paused = undefined;
    await eventually(() => servedFromCache(1), BREAK_FOR_MS * 5);
    expect(app.client.stats().circuit?.opens).toBe(1);
    expect(app.client.stats().circuit?.nodes.every((node) => node.state === 'closed')).toBe(true);
    const messages = (spy: typeof warn) => spy.mock.calls.map(([message]) => String(message));
    expect(messages(warn).filter((m) => /circuit .* opened/.test(m))).toHaveLength(1);
    expect(messages(log).filter((m) => /circuit .* closed/.test(m))).toHaveLength(1);
  }, 30_000);

  it('while open, encodes nothing for the store, and callers that join a load still get their own copies', async () => {
    let encoded = 0;
    const serializer = {
      serialize: (value: unknown) => {
        encoded++;
        return JSON.stringify(value);
      },
      deserialize: (text: string) => JSON.parse(text) as unknown,
    };
    prefix = freshPrefix();
    const options = { keyPrefix: prefix, commandTimeout: COMMAND_TIMEOUT_MS, serializer };
    app = await startCacheApp({ ...topology.options(), ...options, circuitBreaker: BREAKER }, [
      QuoteService,
    ]);
    quotes = app.get(QuoteService);
    await quotes.quote(5);
    paused = await topology.ownerOf('quote:5', prefix);
    await paused.pause();
    for (let call = 1; call <= FAILURES; call++) await quotes.quote(5);
    expect(circuitOf(paused.address)?.state).toBe('open');

    const before = encoded;
    const { result, ms } = await timed(5);
    expect(result).toEqual({ id: 5, price: 50 });
    expect(ms).toBeLessThan(OPEN_CALL_BOUND_MS);
    expect(encoded).toBe(before);

    const joined = await Promise.all([quotes.quote(5), quotes.quote(5), quotes.quote(5)]);
    expect(joined).toEqual([1, 2, 3].map(() => ({ id: 5, price: 50 })));
    expect(new Set(joined).size).toBe(3);
  }, 30_000);

  it('re-opens for another breakFor when the probe fails', async () => {
    await openApp(BREAKER);
    await quotes.quote(2);
    paused = await topology.ownerOf('quote:2', prefix);
    await paused.pause();
    for (let call = 1; call <= FAILURES; call++) await quotes.quote(2);
    expect(circuitOf(paused.address)?.state).toBe('open');
    await new Promise((resolve) => setTimeout(resolve, BREAK_FOR_MS + 50));

    const probe = await timed(2);
    expect(probe.ms).toBeGreaterThanOrEqual(COMMAND_TIMEOUT_MS * 0.9);
    expect(circuitOf(paused.address)).toMatchObject({ state: 'open', opens: 1 });
    const after = await timed(2);
    expect(after.ms).toBeLessThan(OPEN_CALL_BOUND_MS);
  }, 30_000);

  it('with circuitBreaker: false, every call to the paused server waits commandTimeout', async () => {
    await openApp(false);
    await quotes.quote(3);
    paused = await topology.ownerOf('quote:3', prefix);
    await paused.pause();
    for (let call = 1; call <= FAILURES + 2; call++) {
      const { result, ms } = await timed(3);
      expect(result).toEqual({ id: 3, price: 30 });
      expect(ms).toBeGreaterThanOrEqual(COMMAND_TIMEOUT_MS * 0.9);
    }
    expect(app.client.stats().circuit).toBeUndefined();
  }, 30_000);
});
