import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import type { RedisSettings } from '../options/resolved-options.js';
import { createRedisConnection, type RedisClient } from '../stores/redis/redis-connection.js';

/**
 * The bus drives the subscriber's reconnection itself (each attempt a fresh connection, so that on
 * a Cluster it goes to the node that serves the channel now) and subscribes itself once connected,
 * so that it knows when the subscription, not just the socket, is back.
 */
const SUBSCRIBER_OPTIONS: RedisOptions = {
  lazyConnect: true,
  retryStrategy: () => null,
  autoResubscribe: false,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
};

/** The publisher: the client handed in (not closed by the bus), or one the bus opens. */
export function openPublisher(settings: RedisSettings): { client: RedisClient; owned: boolean } {
  const { client, owned } = createRedisConnection(settings);
  return { client, owned };
}

/**
 * A new, not yet connected subscriber connection. Standalone and Sentinel: a connection like the
 * publisher's (Sentinel finds the current master on connect). Cluster: a plain connection to the
 * master that serves the channel's slot now, as the publisher's slot table says after a refresh.
 */
export async function newSubscriber(
  settings: RedisSettings,
  publisher: RedisClient,
  channel: string,
): Promise<Redis> {
  if (publisher.isCluster) return subscriberForShard(publisher as Cluster, channel);
  if (settings.client) return (settings.client as Redis).duplicate(SUBSCRIBER_OPTIONS);
  const options = { ...settings.options, ...SUBSCRIBER_OPTIONS };
  return createRedisConnection({ ...settings, options }).client as Redis;
}

async function subscriberForShard(cluster: Cluster, channel: string): Promise<Redis> {
  if (cluster.status === 'wait') await cluster.connect();
  await new Promise<void>((resolve, reject) =>
    cluster.refreshSlotsCache((error) => (error ? reject(error) : resolve())),
  );
  const owner = cluster.slots[calculateSlot(channel)]?.[0];
  const node = cluster
    .nodes('master')
    .find(({ options }) => `${options.host}:${options.port}` === owner);
  if (!node) throw new Error(`no master serves the slot of channel ${channel} yet`);
  return node.duplicate(SUBSCRIBER_OPTIONS);
}

/** `SSUBSCRIBE` on a Cluster (the channel is the shard key), `SUBSCRIBE` otherwise. */
export function subscribe(subscriber: Redis, channel: string, sharded: boolean): Promise<unknown> {
  return sharded ? subscriber.ssubscribe(channel) : subscriber.subscribe(channel);
}

/** `SPUBLISH` on a Cluster (routed to the channel's shard), `PUBLISH` otherwise. */
export function publishOn(client: RedisClient, channel: string, text: string): Promise<unknown> {
  return client.isCluster ? client.spublish(channel, text) : client.publish(channel, text);
}
