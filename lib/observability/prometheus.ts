import {
  Counter,
  Gauge,
  Histogram,
  register as defaultRegistry,
  type Metric,
  type Registry,
} from 'prom-client';
import type { CacheOperationContext } from './cache-channels.js';
import { liveCaches } from './live-caches.js';
import { listenToOperations } from './operation-listener.js';

export interface CachePrometheusOptions {
  /**
   * Where the metrics are registered.
   * @default prom-client's default registry (what `@willsoto/nestjs-prometheus` serves)
   */
  registry?: Registry;
  /**
   * Put in front of every metric name.
   * @default 'cache_'
   */
  prefix?: string;
  /**
   * Buckets of the duration histogram, in seconds: from a memory hit to a command timeout.
   * @default [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]
   */
  buckets?: number[];
}

const DEFAULT_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
];

/**
 * Prometheus metrics of every cache in the process, labelled by cache, store, operation, result
 * and tier (never by key): `<prefix>requests_total`, `<prefix>operation_duration_seconds`,
 * `<prefix>errors_total`, and gauges read when scraped: `<prefix>l1_entries`, `<prefix>l1_bytes`,
 * `<prefix>bus_up`, `<prefix>circuit_open` (per server). Calling it again with the same registry
 * reuses the metrics there. Answers the function that stops counting.
 * @example instrumentCachePrometheus(); // once, e.g. in main.ts
 */
export function instrumentCachePrometheus(options: CachePrometheusOptions = {}): () => void {
  const registry = options.registry ?? defaultRegistry;
  const prefix = options.prefix ?? 'cache_';
  const metric = <M extends Metric>(name: string, make: (name: string) => M): M =>
    (registry.getSingleMetric(prefix + name) as M | undefined) ?? make(prefix + name);
  const registers = [registry];
  const requests = metric(
    'requests_total',
    (name) =>
      new Counter({
        name,
        help: 'Cache operations, by result (hit, miss, stale for reads; ok, error otherwise) and tier',
        labelNames: ['cache', 'store', 'operation', 'result', 'tier'],
        registers,
      }),
  );
  const duration = metric(
    'operation_duration_seconds',
    (name) =>
      new Histogram({
        name,
        help: 'How long cache operations took, in seconds',
        labelNames: ['cache', 'store', 'operation'],
        buckets: options.buckets ?? DEFAULT_BUCKETS,
        registers,
      }),
  );
  const errors = metric(
    'errors_total',
    (name) =>
      new Counter({
        name,
        help: 'Cache operations that failed (for getOrSet: the loader threw)',
        labelNames: ['cache', 'store', 'operation'],
        registers,
      }),
  );
  registerGauges(metric, registers);

  return listenToOperations<number>({
    started: () => performance.now(),
    failed: (context) => errors.inc(labels(context)),
    ended(context, startedAt) {
      const result = context.result ?? (context.error === undefined ? 'ok' : 'error');
      requests.inc({ ...labels(context), result, tier: context.tier ?? '' });
      duration.observe(labels(context), (performance.now() - startedAt) / 1000);
    },
  });
}

function labels({ cache, store, operation }: CacheOperationContext) {
  return { cache, store, operation };
}

/** Gauges read from each live cache's `stats()` when scraped. */
function registerGauges(
  metric: <M extends Metric>(name: string, make: (name: string) => M) => M,
  registers: Registry[],
): void {
  const gauge = (name: string, help: string, labelNames: string[], read: (g: Gauge) => void) =>
    metric(name, (full) => {
      const made: Gauge = new Gauge({
        name: full,
        help,
        labelNames,
        registers,
        collect: () => {
          made.reset();
          read(made);
        },
      });
      return made;
    });
  gauge('l1_entries', 'Entries held in the L1 tier', ['cache'], (g) => {
    for (const cache of liveCaches()) {
      const { l1 } = cache.stats();
      if (l1) g.set({ cache: cache.name }, l1.entries);
    }
  });
  gauge('l1_bytes', 'Bytes held in the L1 tier (stored texts)', ['cache'], (g) => {
    for (const cache of liveCaches()) {
      const { l1 } = cache.stats();
      if (l1) g.set({ cache: cache.name }, l1.bytes);
    }
  });
  gauge('bus_up', '1 while the invalidation bus is subscribed', ['cache'], (g) => {
    for (const cache of liveCaches()) {
      const { bus } = cache.stats();
      if (bus) g.set({ cache: cache.name }, bus.up ? 1 : 0);
    }
  });
  gauge('circuit_open', '1 while the circuit of a server is open', ['cache', 'node'], (g) => {
    for (const cache of liveCaches()) {
      for (const node of cache.stats().circuit?.nodes ?? []) {
        g.set({ cache: cache.name, node: node.address }, node.state === 'closed' ? 0 : 1);
      }
    }
  });
}
