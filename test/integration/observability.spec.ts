import { Injectable } from '@nestjs/common';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { tracingChannel } from 'node:diagnostics_channel';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cacheable, CacheEvict, type CacheModuleOptions } from '../../lib/index.js';
import {
  CACHE_OPERATIONS,
  cacheChannelName,
  type CacheOperationContext,
} from '../../lib/observability/cache-channels.js';
import { instrumentCacheOpenTelemetry } from '../../lib/observability/opentelemetry.js';
import { instrumentCachePrometheus } from '../../lib/observability/prometheus.js';
import { freshPrefix, patient, startCacheApp, type CacheApp } from '../support/cache-app.js';
import { startRedis, type RedisServer } from '../support/servers.js';

@Injectable()
class Catalog {
  loads = 0;

  @Cacheable({ key: (id: number) => `item:${id}`, ttl: '1h' })
  async find(id: number): Promise<{ id: number }> {
    this.loads++;
    if (id < 0) throw new Error('no such item');
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { id };
  }

  @CacheEvict({ key: (id: number) => `item:${id}` })
  async remove(_id: number): Promise<void> {}
}

/** Every event published on the package's channels while `run` runs. */
async function recordEvents(run: () => Promise<void>) {
  const events: { name: string; context: CacheOperationContext }[] = [];
  const subscriptions = CACHE_OPERATIONS.map((operation) => {
    const channel = tracingChannel<CacheOperationContext, CacheOperationContext>(
      cacheChannelName(operation),
    );
    const on = (name: string) => (context: CacheOperationContext) =>
      events.push({ name, context: { ...context } });
    const handlers = {
      start: on('start'),
      end: on('end'),
      asyncStart: on('asyncStart'),
      asyncEnd: on('asyncEnd'),
      error: on('error'),
    };
    channel.subscribe(handlers);
    return () => channel.unsubscribe(handlers);
  });
  try {
    await run();
  } finally {
    subscriptions.forEach((unsubscribe) => unsubscribe());
  }
  return events;
}

/** The finished operations: the context at `end` (sync) or `asyncEnd` (async). */
function finished(events: Awaited<ReturnType<typeof recordEvents>>) {
  return events
    .filter(({ name, context }) => (context.async ? name === 'asyncEnd' : name === 'end'))
    .map(({ context }) => context);
}

const backends: [
  string,
  () => Promise<{ options: () => CacheModuleOptions; stop(): Promise<void> }>,
][] = [
  ['memory', async () => ({ options: () => ({}), stop: async () => undefined })],
  [
    'redis',
    async () => {
      const server: RedisServer = await startRedis();
      return {
        options: () => ({ store: 'redis', redis: { url: server.url }, keyPrefix: freshPrefix() }),
        stop: () => server.stop(),
      };
    },
  ],
];

describe.each(backends)('observability on the %s store', (storeName, setup) => {
  let backend: Awaited<ReturnType<typeof setup>>;
  const apps: CacheApp[] = [];
  const open = async () => {
    const app = await startCacheApp(patient(backend.options()), [Catalog]);
    apps.push(app);
    return app;
  };

  beforeAll(async () => {
    backend = await setup();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  afterAll(async () => backend?.stop());

  describe('diagnostics channels', () => {
    it('publishes each operation with its cache, store, key, result and tier', async () => {
      const app = await open();
      const events = await recordEvents(async () => {
        await app.client.set('a', 1);
        await app.client.get('a');
        await app.client.get('missing');
        await app.client.getOrSet('b', () => 2);
        await app.client.getMany(['a', 'b']);
        await app.client.delete('a');
        await app.client.invalidateTags(['t']);
        await app.client.clear();
      });
      const done = finished(events).map(({ operation, key, keys, result, tier, cache, store }) => ({
        operation,
        key,
        keys,
        result,
        tier,
        cache,
        store,
      }));
      const common = { cache: 'default', store: storeName };
      expect(done).toEqual([
        {
          ...common,
          operation: 'set',
          key: 'a',
          keys: undefined,
          result: undefined,
          tier: undefined,
        },
        { ...common, operation: 'get', key: 'a', keys: undefined, result: 'hit', tier: 'l2' },
        {
          ...common,
          operation: 'get',
          key: 'missing',
          keys: undefined,
          result: 'miss',
          tier: undefined,
        },
        {
          ...common,
          operation: 'getOrSet',
          key: 'b',
          keys: undefined,
          result: 'miss',
          tier: undefined,
        },
        {
          ...common,
          operation: 'getMany',
          key: undefined,
          keys: ['a', 'b'],
          result: undefined,
          tier: undefined,
        },
        {
          ...common,
          operation: 'delete',
          key: 'a',
          keys: undefined,
          result: undefined,
          tier: undefined,
        },
        {
          ...common,
          operation: 'invalidateTags',
          key: undefined,
          keys: ['t'],
          result: undefined,
          tier: undefined,
        },
        {
          ...common,
          operation: 'clear',
          key: undefined,
          keys: undefined,
          result: undefined,
          tier: undefined,
        },
      ]);
      // Every operation that started ended, once.
      expect(events.filter((e) => e.name === 'start')).toHaveLength(done.length);
    });

    it("names the decorated method, and publishes a loader's error before the operation ends", async () => {
      const app = await open();
      const catalog = app.get(Catalog);
      const events = await recordEvents(async () => {
        await catalog.find(1);
        await catalog.find(1);
        await catalog.remove(1);
        await catalog.find(-1).catch(() => undefined);
      });
      const done = finished(events);
      expect(done.map(({ operation, method, result }) => [operation, method, result])).toEqual([
        ['getOrSet', 'Catalog.find', 'miss'],
        ['getOrSet', 'Catalog.find', 'hit'],
        ['evict', 'Catalog.remove', undefined],
        ['getOrSet', 'Catalog.find', undefined],
      ]);
      const failed = events.filter((e) => e.name === 'error');
      expect(failed).toHaveLength(1);
      expect(String(failed[0].context.error)).toContain('no such item');
    });
  });

  describe('stats()', () => {
    it('counts every caller: callers that join one read or one load each count', async () => {
      const app = await open();
      await app.client.set('hot', 'v');
      const before = app.client.stats();
      await Promise.all(Array.from({ length: 1000 }, () => app.client.getOrSet('hot', () => 'x')));
      const load = async () => 'y';
      await Promise.all(Array.from({ length: 100 }, () => app.client.getOrSet('cold', load)));
      const after = app.client.stats();
      expect(after.hits - before.hits).toBe(1000);
      expect(after.misses - before.misses).toBe(100);
    });

    it('reports each decorated method: hits, misses (callers that waited for a load), errors, loads and load time', async () => {
      const app = await open();
      const catalog = app.get(Catalog);
      await catalog.find(1);
      await catalog.find(1);
      await Promise.all([catalog.find(2), catalog.find(2), catalog.find(2)]);
      await catalog.find(-1).catch(() => undefined);
      const stats = app.client.stats().methods['Catalog.find'];
      expect(stats).toMatchObject({ hits: 1, misses: 4, staleHits: 0, errors: 1, loads: 3 });
      expect(stats.loadTimeMs).toBeGreaterThan(5);
      expect(Object.keys(app.client.stats().methods)).toEqual(['Catalog.find']);
    });
  });

  describe('OpenTelemetry', () => {
    const spans = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(spans)],
    });
    const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({
      exporter: metricExporter,
      exportIntervalMillis: 3_600_000,
    });
    const meterProvider = new MeterProvider({ readers: [reader] });
    let stop: () => void;
    const contextManager = new AsyncLocalStorageContextManager();

    beforeAll(() => {
      context.setGlobalContextManager(contextManager.enable());
    });
    afterEach(() => {
      stop?.();
      spans.reset();
    });
    afterAll(async () => {
      context.disable();
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
    });

    it('makes a span per operation, a child of the active span, without the key unless asked', async () => {
      const app = await open();
      const tracer = tracerProvider.getTracer('test');
      stop = instrumentCacheOpenTelemetry({ tracer, meter: meterProvider.getMeter('test') });
      await tracer.startActiveSpan('request', async (parent) => {
        await app.client.getOrSet('k', () => 'v');
        await app.client.get('k');
        parent.end();
      });
      const finishedSpans = spans.getFinishedSpans();
      const parent = finishedSpans.find((span) => span.name === 'request')!;
      const cacheSpans = finishedSpans.filter((span) => span.name.startsWith('cache '));
      expect(cacheSpans.map((span) => span.name)).toEqual(['cache getOrSet', 'cache get']);
      for (const span of cacheSpans) {
        expect(span.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
        expect(span.attributes['cache.key']).toBeUndefined();
      }
      expect(cacheSpans[1].attributes).toMatchObject({
        'cache.name': 'default',
        'cache.operation': 'get',
        'cache.store': storeName,
        'cache.hit': true,
        'cache.result': 'hit',
        'cache.tier': 'l2',
      });
      expect(cacheSpans[0].attributes).toMatchObject({
        'cache.hit': false,
        'cache.result': 'miss',
      });
    });

    it('records keys only with recordKeys, marks a failed load as an error, and counts by result', async () => {
      const app = await open();
      const tracer = tracerProvider.getTracer('test');
      stop = instrumentCacheOpenTelemetry({
        tracer,
        meter: meterProvider.getMeter('test-keys'),
        recordKeys: true,
      });
      await app.client.getOrSet('k', () => 'v');
      await app.client.getOrSet('k', () => 'v');
      await app.client
        .getOrSet('bad', () => Promise.reject(new Error('loader failed')))
        .catch(() => undefined);
      const [first, , failed] = spans.getFinishedSpans();
      expect(first.attributes['cache.key']).toBe('k');
      expect(failed.status.code).toBe(2);
      expect(failed.events.map((event) => event.name)).toContain('exception');

      await reader.forceFlush();
      const scopes = metricExporter.getMetrics().at(-1)!.scopeMetrics;
      const scope = scopes.find((s) => s.scope.name === 'test-keys')!;
      const byName = Object.fromEntries(scope.metrics.map((m) => [m.descriptor.name, m]));
      const requests = byName['cache.requests'].dataPoints.map((point) => [
        point.attributes['cache.result'],
        point.value,
      ]);
      expect(requests).toEqual(
        expect.arrayContaining([
          ['miss', 1],
          ['hit', 1],
        ]),
      );
      expect(byName['cache.errors'].dataPoints[0].value).toBe(1);
      expect(byName['cache.operation.duration'].descriptor.unit).toBe('s');
    });
  });

  describe('Prometheus', () => {
    it('counts operations by cache, store, operation, result and tier, never by key', async () => {
      const app = await open();
      const registry = new Registry();
      const stop = instrumentCachePrometheus({ registry });
      try {
        await app.client.getOrSet('k1', () => 'v');
        await app.client.getOrSet('k1', () => 'v');
        await app.client.getOrSet('k1', () => 'v');
        await app.client.set('k2', 'v');
        const text = await registry.metrics();
        const labels = `cache="default",store="${storeName}",operation="getOrSet"`;
        expect(text).toContain(`cache_requests_total{${labels},result="miss",tier=""} 1`);
        expect(text).toContain(`cache_requests_total{${labels},result="hit",tier="l2"} 2`);
        expect(text).toContain(`operation="set",result="ok",tier=""} 1`);
        expect(text).toMatch(
          /cache_operation_duration_seconds_count\{[^}]*operation="getOrSet"\} 3/,
        );
        expect(text).not.toContain('k1');
        // Calling it again on the same registry reuses its metrics.
        instrumentCachePrometheus({ registry })();
      } finally {
        stop();
      }
    });
  });
});

describe('Prometheus gauges with the L1 tier', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => server?.stop());

  it('reads L1 size and the bus of each live cache when scraped', async () => {
    const app = await startCacheApp(
      patient({ store: 'redis', redis: { url: server.url }, keyPrefix: freshPrefix(), l1: true }),
    );
    const registry = new Registry();
    const stop = instrumentCachePrometheus({ registry, prefix: 'app_cache_' });
    try {
      await app.client.set('a', 'x');
      const text = await registry.metrics();
      expect(text).toContain('app_cache_l1_entries{cache="default"} 1');
      expect(text).toContain('app_cache_bus_up{cache="default"} 1');
    } finally {
      stop();
      await app.close();
    }
    expect(await registry.metrics()).not.toContain('app_cache_l1_entries{cache="default"}');
  });
});

// A span created outside any active span has no parent: the instrumentation never invents one.
it('OpenTelemetry without a provider is a no-op, and the package works', async () => {
  const app = await startCacheApp({});
  const stop = instrumentCacheOpenTelemetry();
  try {
    expect(await app.client.getOrSet('k', () => 1)).toBe(1);
    expect(trace.getActiveSpan()).toBeUndefined();
  } finally {
    stop();
    await app.close();
  }
});
