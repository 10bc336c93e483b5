import type { RedisSettings } from '../options/resolved-options.js';

/** What an `InvalidationBus` needs: where its Redis is, which channel, who it is, how patient. */
export interface InvalidationBusOptions {
  /** The bus's Redis (standalone, Sentinel or Cluster), resolved like the `redis` option. */
  redis: RedisSettings;
  /**
   * One channel per cache: app servers sharing a cache share its channel, two caches never do.
   * On a Cluster the channel's hash slot decides which shard carries the bus.
   */
  channel: string;
  /**
   * Tags every message this bus sends; the bus ignores messages carrying its own id.
   * @default a random UUID
   */
  senderId?: string;
  /**
   * Milliseconds one `PUBLISH`, `SUBSCRIBE` or heartbeat `PING` may take.
   * @default 250
   */
  commandTimeout?: number;
  /**
   * Milliseconds between two heartbeat `PING`s on the subscriber connection: a paused or
   * unreachable server that keeps the socket open is noticed (`down`) within
   * `heartbeatInterval + commandTimeout`.
   * @default 500
   */
  heartbeatInterval?: number;
  /**
   * Messages kept while the bus cannot publish, sent (merged into one) when it can again. On
   * overflow they are counted lost, `lost` is emitted, and one `clear` is sent instead. 1,000
   * messages of a few keys are about 100 KB and cover a one-second outage at 1,000 writes a second,
   * the longest pause between reconnection attempts; past that, one `clear` costs the other servers
   * less than replaying every key.
   * @default 1000
   */
  maxQueue?: number;
}

export const BUS_DEFAULTS = {
  commandTimeout: 250,
  heartbeatInterval: 500,
  maxQueue: 1000,
} as const;
