import { Logger } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CacheModuleOptions, CachePing } from '../../lib/index.js';
import { freshPrefix, startCacheApp, type CacheApp } from '../support/cache-app.js';
import { pausableTopologies, type PausableTopology } from '../support/pausable-topologies.js';
import type { ServerProcess } from '../support/servers.js';
import { eventually } from '../support/store-contract.js';

const COMMAND_TIMEOUT_MS = 200;
/** What ping() promises for a hung server: its commandTimeout, plus scheduling on a busy machine. */
const PING_BOUND_MS = COMMAND_TIMEOUT_MS + 400;
/** While a circuit is open, ping() sends that server nothing, so it does not wait on it. */
const OPEN_CIRCUIT_BOUND_MS = 50;

async function timedPing(app: CacheApp): Promise<{ result: CachePing; ms: number }> {
  const started = performance.now();
  const result = await app.client.ping();
  return { result, ms: performance.now() - started };
}

/** `address` down with an error, every other node up. */
function expectOnlyDown(result: CachePing, address: string): void {
  expect(result.ok).toBe(false);
  const down = result.nodes.filter((node) => !node.ok);
  expect(down).toEqual([{ address, ok: false, error: expect.any(String) }]);
  for (const node of result.nodes.filter((node) => node.ok)) {
    expect(node.latencyMs).toEqual(expect.any(Number));
  }
}

describe.each(pausableTopologies)('ping() with a server down, on $name', (spec) => {
  let topology: PausableTopology;
  let app: CacheApp;
  let prefix: string;
  let down: ServerProcess | undefined;
  let paused = false;

  const startApp = async (extra: Partial<CacheModuleOptions> = {}) => {
    prefix = freshPrefix();
    app = await startCacheApp({
      ...topology.options(),
      keyPrefix: prefix,
      commandTimeout: COMMAND_TIMEOUT_MS,
      ...extra,
    } as CacheModuleOptions);
    await app.client.set('owner', 1, 60);
    return topology.ownerOf('owner', prefix);
  };

  beforeAll(async () => {
    topology = await spec.start();
  }, 60_000);
  beforeEach(() => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    if (paused) down?.resume();
    paused = false;
    down = undefined;
    vi.restoreAllMocks();
    await app?.close();
  });
  afterAll(async () => {
    await topology?.stop();
  });

  it('reports a paused server down by its address within commandTimeout, the others up', async () => {
    down = await startApp();
    expect((await app.client.ping()).ok).toBe(true);
    await down.pause();
    paused = true;

    const { result, ms } = await timedPing(app);
    expectOnlyDown(result, down.address);
    expect(result.nodes.find((node) => !node.ok)?.error).toBe(
      `no answer within ${COMMAND_TIMEOUT_MS} ms`,
    );
    expect(ms).toBeLessThan(PING_BOUND_MS);

    down.resume();
    paused = false;
    await eventually(async () => (await app.client.ping()).ok, 10_000);
  });

  it('reports a killed server down by its address within commandTimeout, and up once it is back', async () => {
    down = await startApp();
    await down.kill();
    try {
      const { result, ms } = await timedPing(app);
      expectOnlyDown(result, down.address);
      expect(ms).toBeLessThan(PING_BOUND_MS);
    } finally {
      await down.restart();
    }
    await eventually(async () => (await app.client.ping()).ok, 15_000);
  });

  it('says "circuit open" for a server whose circuit opened, at once and without a command', async () => {
    down = await startApp({ circuitBreaker: { failures: 2, breakFor: '1m' } });
    await down.pause();
    paused = true;
    await eventually(async () => {
      await app.client.get('owner');
      return app.client.stats().circuit?.nodes.some((node) => node.state === 'open') ?? false;
    });

    const { result, ms } = await timedPing(app);
    expect(result.ok).toBe(false);
    expect(result.nodes.filter((node) => !node.ok)).toEqual([
      { address: down.address, ok: false, error: 'circuit open' },
    ]);
    expect(ms).toBeLessThan(OPEN_CIRCUIT_BOUND_MS);
  });
});
