import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CacheClient,
  CacheTimeoutError,
  MemoryStore,
  jsonSerializer,
  type CacheStore,
  type StoreNode,
} from '../../lib/index.js';
import { DistributedCacheClient } from '../../lib/client/distributed-cache.client.js';
import { PROBE_KEY, pingStore } from '../../lib/client/node-ping.js';
import { SafeStore } from '../../lib/client/safe-store.js';
import { FailureLog } from '../../lib/resilience/failure-log.js';
import { EntryCodec } from '../../lib/serialization/entry-codec.js';

const TIMEOUT_MS = 100;

const answers = (address: string): StoreNode => ({ address, ping: async () => 'PONG' });
const fails = (address: string, error: unknown): StoreNode => ({
  address,
  ping: () => Promise.reject(error),
});
const hangs = (address: string): StoreNode => ({ address, ping: () => new Promise(() => {}) });

/** A store that names `nodes` and whose commands are never used. */
function storeWith(nodes: () => StoreNode[] | Promise<StoreNode[]>): CacheStore {
  const unused = () => Promise.reject(new Error('not used'));
  return {
    name: 'fake',
    nodes,
    get: unused,
    getMany: unused,
    set: unused,
    setMany: unused,
    delete: unused,
    deleteMany: unused,
    clear: unused,
    close: async () => undefined,
  };
}

const ping = (store: CacheStore, circuitOpen?: (address: string) => boolean) =>
  pingStore(store, { timeoutMs: TIMEOUT_MS, store: store.name, circuitOpen });

describe('CacheClient.ping() aggregation', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is ok when every node answers, each with its latency', async () => {
    const result = await ping(storeWith(() => [answers('a:1'), answers('b:2')]));
    expect(result.ok).toBe(true);
    expect(result.nodes.map(({ address, ok }) => ({ address, ok }))).toEqual([
      { address: 'a:1', ok: true },
      { address: 'b:2', ok: true },
    ]);
    for (const node of result.nodes) {
      expect(node.latencyMs).toBeGreaterThanOrEqual(0);
      expect(node.error).toBeUndefined();
    }
  });

  it('is not ok when one node fails, that node carrying the error and no latency', async () => {
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:2');
    const result = await ping(storeWith(() => [answers('a:1'), fails('b:2', refused)]));
    expect(result.ok).toBe(false);
    expect(result.nodes[0]).toMatchObject({ address: 'a:1', ok: true });
    expect(result.nodes[1]).toEqual({
      address: 'b:2',
      ok: false,
      error: 'connect ECONNREFUSED 127.0.0.1:2',
    });
  });

  it('reports a node that does not answer within the timeout as down, and never rejects', async () => {
    vi.useFakeTimers();
    const pending = ping(storeWith(() => [answers('a:1'), hangs('b:2')]));
    await vi.advanceTimersByTimeAsync(TIMEOUT_MS);
    const result = await pending;
    expect(result.ok).toBe(false);
    expect(result.nodes[1]).toEqual({
      address: 'b:2',
      ok: false,
      error: `no answer within ${TIMEOUT_MS} ms`,
    });
  });

  it('reports a node whose circuit is open without sending it anything', async () => {
    const sent = vi.fn(async () => 'PONG');
    const sentinel: StoreNode = { address: '10.0.0.1:6379', circuit: 'sentinel:main', ping: sent };
    const open = new Set(['b:2', 'sentinel:main']);
    const result = await ping(
      storeWith(() => [answers('a:1'), { address: 'b:2', ping: sent }, sentinel]),
      (address) => open.has(address),
    );
    expect(sent).not.toHaveBeenCalled();
    expect(result.ok).toBe(false);
    expect(result.nodes.slice(1)).toEqual([
      { address: 'b:2', ok: false, error: 'circuit open' },
      { address: '10.0.0.1:6379', ok: false, error: 'circuit open' },
    ]);
  });

  it('masks the credentials of a URL in an error message', async () => {
    const leaky = new Error('cannot reach redis://app:s3cret@10.0.0.1:6379/0');
    const result = await ping(storeWith(() => [fails('10.0.0.1:6379', leaky)]));
    expect(result.nodes[0].error).toBe('cannot reach redis://***@10.0.0.1:6379/0');
    expect(JSON.stringify(result)).not.toContain('s3cret');
  });

  it('names a failure that carries no message by its class (memjs rejects a SASL failure so)', async () => {
    const result = await ping(storeWith(() => [fails('a:1', new Error())]));
    expect(result.nodes[0].error).toBe('failed (Error)');
  });

  it('reports one node named after the store when its servers cannot be listed', async () => {
    const result = await ping(
      storeWith(() => Promise.reject(new Error('No Redis Cluster master is known yet.'))),
    );
    expect(result).toEqual({
      ok: false,
      nodes: [{ address: 'fake', ok: false, error: 'No Redis Cluster master is known yet.' }],
    });
  });

  it('is not ok when the store names no server at all', async () => {
    const result = await ping(storeWith(() => []));
    expect(result.ok).toBe(false);
    expect(result.nodes).toEqual([{ address: 'fake', ok: false, error: 'no server known' }]);
  });

  it('reads a probe key on a store without nodes(), as one node named after the store', async () => {
    const memory = new MemoryStore();
    const get = vi.spyOn(memory, 'get');
    const result = await ping(memory);
    expect(get).toHaveBeenCalledWith(PROBE_KEY);
    expect(result.ok).toBe(true);
    expect(result.nodes).toEqual([{ address: 'memory', ok: true, latencyMs: expect.any(Number) }]);
  });
});

describe('CacheClient.ping() with the circuit breaker', () => {
  it('says "circuit open" for a server whose circuit opened, without pinging it', async () => {
    const timedOut = () => Promise.reject(new CacheTimeoutError('fake', TIMEOUT_MS));
    const node: StoreNode = { address: 'a:1', ping: timedOut };
    const store = storeWith(() => [node]);
    store.nodeOf = () => 'a:1';
    store.get = timedOut;
    const logger = new Logger('test');
    vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
    vi.spyOn(logger, 'log').mockImplementation(() => undefined);
    const safe = new SafeStore(store, new FailureLog(logger), {
      readRetries: 0,
      commandTimeout: TIMEOUT_MS,
      circuitBreaker: { failures: 2, breakForMs: 60_000 },
    });
    const client = new DistributedCacheClient(safe, new EntryCodec(jsonSerializer), undefined);

    const first = await client.ping();
    expect(first.nodes).toEqual([
      { address: 'a:1', ok: false, error: `no answer within ${TIMEOUT_MS} ms` },
    ]);
    // Passive: pings do not count toward the breaker; reads do.
    expect(client.stats().circuit?.nodes ?? []).toEqual([]);
    await client.get('k1');
    await client.get('k2');
    expect(client.stats().circuit?.nodes[0]).toMatchObject({ address: 'a:1', state: 'open' });

    const ping = vi.spyOn(node, 'ping');
    expect(await client.ping()).toEqual({
      ok: false,
      nodes: [{ address: 'a:1', ok: false, error: 'circuit open' }],
    });
    expect(ping).not.toHaveBeenCalled();
  });
});

function notUsed(): never {
  throw new Error('not used by ping()');
}

describe('the default CacheClient.ping() of a client put in place of the module one', () => {
  /** A test double: only `get` does anything. */
  class FakeClient extends CacheClient {
    constructor(private readonly read: () => Promise<unknown>) {
      super();
    }
    override get<T>(): Promise<T | undefined> {
      return this.read() as Promise<T | undefined>;
    }
    set = notUsed;
    delete = notUsed;
    has = notUsed;
    getMany = notUsed;
    setMany = notUsed;
    deleteMany = notUsed;
    getOrSet = notUsed;
    invalidateTags = notUsed;
    clear = notUsed;
    stats = notUsed;
  }
  const fake = (read: () => Promise<unknown>) => new FakeClient(read);

  it('reports one node, "cache", up when get answers', async () => {
    const result = await fake(async () => undefined).ping();
    expect(result).toEqual({
      ok: true,
      nodes: [{ address: 'cache', ok: true, latencyMs: expect.any(Number) }],
    });
  });

  it('reports it down, with the reason, when get rejects', async () => {
    const result = await fake(() => Promise.reject(new Error('fake is down'))).ping();
    expect(result).toEqual({
      ok: false,
      nodes: [{ address: 'cache', ok: false, error: 'fake is down' }],
    });
  });
});
