import {
  context as otelContext,
  metrics,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Meter,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { CacheOperationContext } from './cache-channels.js';
import { listenToOperations } from './operation-listener.js';

export interface CacheOpenTelemetryOptions {
  /** @default trace.getTracer('nestjs-distributed-cache') (the global provider's) */
  tracer?: Tracer;
  /** @default metrics.getMeter('nestjs-distributed-cache') (the global provider's) */
  meter?: Meter;
  /**
   * Put `cache.key` on spans. Off by default: keys often hold personal data (a user id, an email).
   * @default false
   */
  recordKeys?: boolean;
}

const SCOPE = 'nestjs-distributed-cache';

interface Started {
  span: Span;
  startedAt: number;
}

/**
 * Traces and measures every cache operation with OpenTelemetry: a span per operation (`cache
 * get`, `cache getOrSet`…), a child of the span active when the call was made, with
 * `cache.name`, `cache.operation`, `cache.store`, `cache.hit`, `cache.result`, `cache.tier` (and
 * `cache.key` with `recordKeys`); a request counter by result and tier, an operation duration
 * histogram (seconds) and an error counter. Reads the operations from the package's diagnostics
 * channels, so it costs nothing until called. Answers the function that stops it.
 * @example instrumentCacheOpenTelemetry(); // once, after the OpenTelemetry SDK is started
 */
export function instrumentCacheOpenTelemetry(options: CacheOpenTelemetryOptions = {}): () => void {
  const tracer = options.tracer ?? trace.getTracer(SCOPE);
  const meter = options.meter ?? metrics.getMeter(SCOPE);
  const requests = meter.createCounter('cache.requests', {
    description: 'Cache operations, by cache, operation, store, result and tier',
  });
  const duration = meter.createHistogram('cache.operation.duration', {
    description: 'How long cache operations took',
    unit: 's',
  });
  const errors = meter.createCounter('cache.errors', {
    description: 'Cache operations that failed (for getOrSet: the loader threw)',
  });

  return listenToOperations<Started>({
    started(context) {
      const attributes: Attributes = base(context);
      if (options.recordKeys && context.key !== undefined) attributes['cache.key'] = context.key;
      if (context.method) attributes['code.function'] = context.method;
      const span = tracer.startSpan(
        `cache ${context.operation}`,
        { kind: SpanKind.CLIENT, attributes },
        otelContext.active(),
      );
      return { span, startedAt: performance.now() };
    },
    failed(context, { span }) {
      span.recordException(context.error instanceof Error ? context.error : String(context.error));
      span.setStatus({ code: SpanStatusCode.ERROR });
      errors.add(1, base(context));
    },
    ended(context, { span, startedAt }) {
      const outcome = outcomeOf(context);
      span.setAttributes(outcome);
      span.end();
      requests.add(1, { ...base(context), ...outcome });
      duration.record((performance.now() - startedAt) / 1000, base(context));
    },
  });
}

function base(context: CacheOperationContext): Attributes {
  return {
    'cache.name': context.cache,
    'cache.operation': context.operation,
    'cache.store': context.store,
  };
}

function outcomeOf({ result, tier }: CacheOperationContext): Attributes {
  if (result === undefined) return {};
  const outcome: Attributes = { 'cache.hit': result === 'hit', 'cache.result': result };
  if (tier) outcome['cache.tier'] = tier;
  return outcome;
}
