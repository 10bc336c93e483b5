import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { tracingChannel, type TracingChannelSubscribers } from 'node:diagnostics_channel';
import { recordCacheOutcome, type CacheOutcome } from './request-context.js';

/** What this app reads of the package's `getOrSet` events (`@Cacheable` calls publish there). */
interface GetOrSetEvent {
  result?: 'hit' | 'miss' | 'stale';
  async?: boolean;
}

const OUTCOMES: Record<NonNullable<GetOrSetEvent['result']>, CacheOutcome> = {
  hit: 'HIT',
  miss: 'MISS',
  stale: 'STALE',
};

const getOrSet = tracingChannel<GetOrSetEvent, GetOrSetEvent>('nestjs-distributed-cache:getOrSet');

function record({ result }: GetOrSetEvent): void {
  if (result) recordCacheOutcome(OUTCOMES[result]);
}

/**
 * Listens to the package's `getOrSet` events: each cached call ends, in the async context of the
 * request that made it, with how its value was found (a hit, a miss or a stale value).
 */
@Injectable()
export class CacheOutcomesListener implements OnModuleInit, OnModuleDestroy {
  private readonly subscribers: TracingChannelSubscribers<GetOrSetEvent> = {
    start: () => undefined,
    end: (event) => {
      if (!event.async) record(event);
    },
    asyncStart: () => undefined,
    asyncEnd: record,
    error: () => undefined,
  };

  onModuleInit(): void {
    getOrSet.subscribe(this.subscribers);
  }

  onModuleDestroy(): void {
    getOrSet.unsubscribe(this.subscribers);
  }
}
