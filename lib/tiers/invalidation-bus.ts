import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Cluster, Redis } from 'ioredis';
import { CacheTimeoutError } from '../errors.js';
import { closeClient, reconnectDelay, type RedisClient } from '../stores/redis/redis-connection.js';
import { explainRedisFailure } from '../stores/redis/redis-failures.js';
import { withDeadline } from '../utils/deadline.js';
import {
  decodeInvalidation,
  encodeInvalidation,
  isEmptyInvalidation,
  type Invalidation,
  type ReceivedInvalidation,
} from './bus-message.js';
import { newSubscriber, openPublisher, publishOn, subscribe } from './bus-connections.js';
import { BUS_DEFAULTS, type InvalidationBusOptions } from './bus-options.js';
import { PendingInvalidations } from './pending-invalidations.js';

export interface InvalidationBusStats {
  /** Messages written to the channel (a flushed queue is one message). */
  sent: number;
  /** Messages from other senders, handed to `message` listeners. */
  received: number;
  /** Messages this bus sent, heard back on the channel and skipped. */
  ignoredOwn: number;
  /** Messages dropped: queue overflow (replaced by one `clear`), or still queued at `close()`. */
  lost: number;
  /** Garbage, a foreign format or another wire version on the channel, skipped. */
  malformed: number;
  /** Messages waiting to be published now. */
  queued: number;
}

export interface InvalidationBusEvents {
  /** An invalidation from another app server. */
  message: [message: ReceivedInvalidation];
  /** Subscribed: from now on every message published on the channel reaches this bus. */
  up: [];
  /** The subscription is lost (closed, failed, or the server stopped answering the heartbeat). */
  down: [reason: string];
  /** `count` messages were dropped on queue overflow; one `clear` will be sent instead. */
  lost: [count: number];
  /**
   * Subscribing failed for a reason only a change of configuration fixes (a TLS handshake,
   * password or ACL channel permission refused), explained; once until the bus is up again.
   */
  refused: [error: Error];
}

/**
 * Invalidations (never values) between the app servers sharing one cache, over Redis pub/sub:
 * `PUBLISH`/`SUBSCRIBE` on a standalone or Sentinel Redis; `SPUBLISH`/`SSUBSCRIBE` on a Cluster,
 * where a plain `PUBLISH` is broadcast to every node over the cluster bus (each message costs every
 * shard), while a sharded message goes only to the shard that owns the channel's slot (and its
 * replicas). One connection subscribes, one publishes (so a slow cache command never delays an
 * invalidation, and a subscribed connection can send nothing else).
 *
 * Delivery is at most once, so the owner must not trust what it keeps between `down` and the next
 * `up`. `publish()` never throws and never waits longer than `commandTimeout`; what it cannot send
 * is queued and sent when the publisher is back.
 */
export class InvalidationBus extends EventEmitter<InvalidationBusEvents> {
  readonly senderId: string;
  private readonly channel: string;
  private readonly commandTimeout: number;
  private readonly publisher: RedisClient;
  private readonly ownsPublisher: boolean;
  private readonly sharded: boolean;
  private readonly pending: PendingInvalidations;
  private readonly counts = { sent: 0, received: 0, ignoredOwn: 0, lost: 0, malformed: 0 };
  private subscriber?: Redis;
  private subscribed = false;
  private pinging = false;
  private flushing = false;
  private closed = false;
  private attempts = 0;
  private refusalReported = false;
  private reconnectTimer?: NodeJS.Timeout;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly options: InvalidationBusOptions) {
    super();
    this.channel = options.channel;
    this.senderId = options.senderId ?? randomUUID();
    this.commandTimeout = options.commandTimeout ?? BUS_DEFAULTS.commandTimeout;
    this.pending = new PendingInvalidations(options.maxQueue ?? BUS_DEFAULTS.maxQueue);
    const { client, owned } = openPublisher(options.redis);
    this.publisher = client;
    this.ownsPublisher = owned;
    this.sharded = client.isCluster;
    if (owned) this.startPublisher();
    const interval = options.heartbeatInterval ?? BUS_DEFAULTS.heartbeatInterval;
    this.heartbeat = setInterval(() => this.beat(), interval).unref();
    void this.attach();
  }

  /** Whether the bus is subscribed now (every message published from now on will arrive). */
  get isUp(): boolean {
    return this.subscribed;
  }

  stats(): InvalidationBusStats {
    return { ...this.counts, queued: this.pending.size };
  }

  /** Tells the other app servers to drop what `invalidation` names. Never rejects. */
  async publish(invalidation: Invalidation): Promise<void> {
    if (this.closed || isEmptyInvalidation(invalidation)) return;
    if (this.publisher.status !== 'ready') return this.enqueue(invalidation);
    await this.send(invalidation);
  }

  /** Closes the connections it opened and stops every timer; what is still queued is lost. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.reconnectTimer);
    this.subscribed = false;
    this.subscriber?.disconnect();
    this.subscriber = undefined;
    this.counts.lost += this.pending.drop();
    if (this.ownsPublisher) await closeClient(this.publisher, this.commandTimeout);
  }

  private startPublisher(): void {
    this.publisher.on('error', ignore);
    this.publisher.on('ready', () => void this.flush());
    this.publisher.connect().catch(ignore);
  }

  private async send(invalidation: Invalidation): Promise<void> {
    const text = encodeInvalidation(this.senderId, invalidation);
    try {
      await withDeadline(publishOn(this.publisher, this.channel, text), this.commandTimeout, () =>
        this.timedOut(),
      );
      this.counts.sent++;
    } catch {
      // It may still arrive late: a duplicate invalidation only drops an entry twice.
      this.enqueue(invalidation);
    }
  }

  private enqueue(invalidation: Invalidation): void {
    const lost = this.pending.add(invalidation);
    if (lost === 0) return;
    this.counts.lost += lost;
    this.emitSafely('lost', lost);
  }

  /** Sends what is queued, merged into one message. */
  private async flush(): Promise<void> {
    if (this.flushing || this.closed || this.publisher.status !== 'ready') return;
    const merged = this.pending.take();
    if (!merged) return;
    this.flushing = true;
    try {
      await this.send(merged);
    } finally {
      this.flushing = false;
    }
  }

  private beat(): void {
    void this.checkSubscriber();
    void this.flush();
  }

  /** A paused server keeps the socket open: only an unanswered PING shows it. */
  private async checkSubscriber(): Promise<void> {
    const client = this.subscriber;
    if (!client || !this.subscribed || this.pinging) return;
    this.pinging = true;
    try {
      const reply = await withDeadline(client.ping(), this.commandTimeout, () => this.timedOut());
      // In subscribed mode the answer is ['pong', '']; anything else means the replies are out of
      // step (a server-side unsubscribe, say), so the subscription cannot be trusted.
      if (!isSubscribedPong(reply)) throw new Error('unexpected PING reply');
    } catch {
      this.detach(client, 'the server did not answer the heartbeat PING in time');
    } finally {
      this.pinging = false;
    }
  }

  /** One attempt to open a subscriber connection and subscribe; on failure, tries again later. */
  private async attach(): Promise<void> {
    this.reconnectTimer = undefined;
    let client: Redis | undefined;
    const opening = (async () => {
      client = await newSubscriber(this.options.redis, this.publisher, this.channel);
      client.on('error', ignore);
      client.on(this.sharded ? 'smessage' : 'message', (_channel: string, text: string) =>
        this.receive(text),
      );
      await client.connect();
      await subscribe(client, this.channel, this.sharded);
    })();
    const budget = this.subscribeBudget();
    try {
      await withDeadline(opening, budget, () => this.timedOut(budget));
      if (client?.status !== 'ready') throw new Error('closed while subscribing');
    } catch (error) {
      opening.catch(ignore);
      (client as Redis | undefined)?.disconnect();
      this.reportRefusal(error, client);
      return this.retryLater();
    }
    if (this.closed) return client.disconnect();
    const subscriber = client;
    this.subscriber = subscriber;
    subscriber.once('close', () => this.detach(subscriber, 'the subscriber connection closed'));
    this.attempts = 0;
    this.refusalReported = false;
    this.subscribed = true;
    this.emitSafely('up');
    void this.flush();
  }

  private reportRefusal(error: unknown, client: Redis | undefined): void {
    if (this.refusalReported) return;
    const { host, port } = client?.options ?? {};
    const refusal = explainRedisFailure(error, host ? `${host}:${port}` : 'of the bus');
    if (!refusal) return;
    this.refusalReported = true;
    this.emitSafely('refused', refusal);
  }

  private detach(client: Redis, reason: string): void {
    if (this.subscriber !== client) return;
    this.subscriber = undefined;
    client.disconnect();
    if (this.closed) return;
    this.subscribed = false;
    this.emitSafely('down', reason);
    this.retryLater();
  }

  private retryLater(): void {
    if (this.closed) return;
    this.attempts++;
    this.reconnectTimer = setTimeout(() => void this.attach(), reconnectDelay(this.attempts));
    this.reconnectTimer.unref();
  }

  private receive(text: string): void {
    const message = decodeInvalidation(text);
    if (!message) {
      this.counts.malformed++;
    } else if (message.from === this.senderId) {
      this.counts.ignoredOwn++;
    } else {
      this.counts.received++;
      this.emitSafely('message', message);
    }
  }

  /** Connecting (TCP, Sentinel lookup or Cluster slot refresh, ready check) and subscribing. */
  private subscribeBudget(): number {
    const redisOptions = this.publisher.isCluster
      ? (this.publisher as Cluster).options.redisOptions
      : (this.publisher as Redis).options;
    return (redisOptions?.connectTimeout ?? 1000) + 2 * this.commandTimeout;
  }

  private timedOut(ms = this.commandTimeout): CacheTimeoutError {
    return new CacheTimeoutError('redis bus', ms);
  }

  /** A listener that throws must not break the connection it was called from. */
  private emitSafely<E extends keyof InvalidationBusEvents>(
    event: E,
    ...args: InvalidationBusEvents[E]
  ): void {
    try {
      (this.emit as (event: E, ...args: InvalidationBusEvents[E]) => boolean)(event, ...args);
    } catch (error) {
      process.emitWarning(`An InvalidationBus "${String(event)}" listener threw: ${String(error)}`);
    }
  }
}

/** The channel of a cache's bus: one per `keyPrefix`, so two caches never share one. */
export function busChannel(keyPrefix: string): string {
  return `${keyPrefix}bus`;
}

function isSubscribedPong(reply: unknown): boolean {
  return Array.isArray(reply) && String(reply[0]) === 'pong';
}

function ignore(): void {}
