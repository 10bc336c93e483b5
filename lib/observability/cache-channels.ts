import { channel, tracingChannel, type TracingChannel } from 'node:diagnostics_channel';
import { isPromiseLike, type MaybePromise } from '../utils/maybe-promise.js';

/** The operations published, each on its own `TracingChannel` (`nestjs-distributed-cache:<op>`). */
export const CACHE_OPERATIONS = [
  'get',
  'getMany',
  'set',
  'setMany',
  'delete',
  'deleteMany',
  'getOrSet',
  'evict',
  'invalidateTags',
  'clear',
] as const;

export type CacheOperation = (typeof CACHE_OPERATIONS)[number];

/**
 * What one operation publishes, the same object from `start` to `end` / `asyncEnd` (a subscriber
 * may keep its own data on it, e.g. a span, under a symbol or a name of its own).
 */
export interface CacheOperationContext {
  /** The named cache (`'default'` for the default one). */
  readonly cache: string;
  /** `memory`, `redis`, `memcached`, or your store's name. */
  readonly store: string;
  readonly operation: CacheOperation;
  /** The key of a single-key operation. */
  readonly key?: string;
  /** The keys of `getMany`, `setMany`, `deleteMany` and `evict`, the tags of `invalidateTags`. */
  readonly keys?: readonly string[];
  /** `Class.method` for an operation made by a decorator. */
  readonly method?: string;
  /** `get` and `getOrSet`: how the value was found; `hit` for a hit, `stale` for a stale value. */
  result?: 'hit' | 'miss' | 'stale';
  /** For a hit: the tier that answered, `l1` (in process) or `l2` (the store). */
  tier?: 'l1' | 'l2';
  /** Set before `end` when the operation goes on asynchronously: it ends at `asyncEnd`. */
  async?: boolean;
  /** What a failed operation threw (a loader's error, for `getOrSet`). */
  error?: unknown;
}

const PREFIX = 'nestjs-distributed-cache:';

/** The channel of each operation. Subscribe with `tracingChannel(name).subscribe({ … })`. */
export type CacheChannel = TracingChannel<CacheOperationContext, CacheOperationContext>;

export const cacheChannels = Object.fromEntries(
  CACHE_OPERATIONS.map((operation) => [
    operation,
    tracingChannel<CacheOperationContext, CacheOperationContext>(PREFIX + operation),
  ]),
) as Record<CacheOperation, CacheChannel>;

/**
 * What a cache's invalidation bus publishes on `nestjs-distributed-cache:bus`: each invalidation
 * received from another app server (once applied to this server's L1), and each loss and return
 * of the subscription (L1 bypassed in between).
 */
export type CacheBusEvent =
  | {
      readonly cache: string;
      readonly event: 'received';
      readonly keys?: readonly string[];
      readonly tags?: readonly string[];
      readonly clear?: boolean;
    }
  | { readonly cache: string; readonly event: 'down'; readonly reason: string }
  | { readonly cache: string; readonly event: 'up' };

const cacheBusEvents = channel(`${PREFIX}bus`);

/** Publishes `event` on `nestjs-distributed-cache:bus` when anyone listens. */
export function publishBusEvent(event: () => CacheBusEvent): void {
  if (cacheBusEvents.hasSubscribers) cacheBusEvents.publish(event());
}

/** The channel name of `operation`: `nestjs-distributed-cache:<operation>`. */
export function cacheChannelName(operation: CacheOperation): string {
  return PREFIX + operation;
}

/**
 * Runs `run` between the channel's events, the way `TracingChannel.tracePromise` does but for a
 * call that may answer synchronously (the memory store): `start`, then `end` (with
 * `context.async` set first when a promise is pending), then `asyncStart` / `asyncEnd` when it
 * settles; `error` before the end on a failure. `settle` records the result on the context.
 * Call only when `channel.hasSubscribers`: nothing is allocated on the path that does not.
 */
export function traced<T>(
  channel: CacheChannel,
  context: CacheOperationContext,
  run: () => MaybePromise<T>,
  settle?: (context: CacheOperationContext, value: T) => void,
): MaybePromise<T> {
  channel.start.publish(context);
  let result: MaybePromise<T>;
  try {
    result = run();
  } catch (error) {
    context.error = error;
    channel.error.publish(context);
    channel.end.publish(context);
    throw error;
  }
  if (!isPromiseLike<T>(result)) {
    settle?.(context, result);
    channel.end.publish(context);
    return result;
  }
  context.async = true;
  channel.end.publish(context);
  return Promise.resolve(result).then(
    (value) => {
      settle?.(context, value);
      channel.asyncStart.publish(context);
      channel.asyncEnd.publish(context);
      return value;
    },
    (error: unknown) => {
      context.error = error;
      channel.error.publish(context);
      channel.asyncStart.publish(context);
      channel.asyncEnd.publish(context);
      throw error;
    },
  );
}
