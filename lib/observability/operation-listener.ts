import { CACHE_OPERATIONS, cacheChannels, type CacheOperationContext } from './cache-channels.js';

/** What an integration (OpenTelemetry, Prometheus) does with each cache operation. */
export interface OperationListener<State> {
  /** The operation starts: what to keep until it ends (a span, a start time). */
  started(context: CacheOperationContext): State;
  /** It ended, after `failed` when it threw or rejected. */
  ended(context: CacheOperationContext, state: State): void;
  failed?(context: CacheOperationContext, state: State): void;
}

/**
 * Subscribes `listener` to every operation's channel, pairing each start with its end whether
 * the operation answered at once (`end`) or later (`asyncEnd`). Answers the function that
 * unsubscribes it.
 */
export function listenToOperations<State>(listener: OperationListener<State>): () => void {
  const states = new WeakMap<CacheOperationContext, State>();
  const finish = (context: CacheOperationContext) => {
    const state = states.get(context);
    if (state === undefined) return;
    states.delete(context);
    listener.ended(context, state);
  };
  const handlers = {
    start: (context: CacheOperationContext) => {
      states.set(context, listener.started(context));
    },
    end: (context: CacheOperationContext) => {
      if (!context.async) finish(context);
    },
    asyncStart: () => undefined,
    asyncEnd: finish,
    error: (context: CacheOperationContext) => {
      const state = states.get(context);
      if (state !== undefined) listener.failed?.(context, state);
    },
  };
  for (const operation of CACHE_OPERATIONS) cacheChannels[operation].subscribe(handlers);
  return () => {
    for (const operation of CACHE_OPERATIONS) cacheChannels[operation].unsubscribe(handlers);
  };
}
