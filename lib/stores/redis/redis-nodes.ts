import type { Cluster, Redis } from 'ioredis';
import type { StoreNode } from '../cache-store.interface.js';

/** Connection states in which a command cannot reach the server. */
const DISCONNECTED = new Set(['reconnecting', 'close', 'end']);

/**
 * Every master of a Cluster, read from the slot map rather than from the open connections: ioredis
 * drops the connection of a master that went away, but its slots still name it until a replica
 * takes over, and a master that serves nobody's slots must still count as down.
 */
export function clusterMasterNodes(cluster: Cluster): StoreNode[] {
  const masters = new Set<string>();
  for (const owners of cluster.slots) if (owners?.[0]) masters.add(owners[0]);
  if (masters.size === 0) throw new Error('No Redis Cluster master is known yet.');
  return [...masters].map((address) => ({
    address,
    ping: () => pingClusterNode(cluster, address),
  }));
}

/**
 * The one server of a standalone or Sentinel connection: for Sentinel, the master it is connected
 * to now (its circuit is kept under `circuit`, the master set's name).
 */
export function serverNode(client: Redis, circuit: string): StoreNode {
  const { remoteAddress, remotePort } = client.stream ?? {};
  const sentinel = (client.options.sentinels?.length ?? 0) > 0;
  const address =
    sentinel && client.status === 'ready' && remoteAddress
      ? `${remoteAddress}:${remotePort}`
      : circuit;
  return { address, circuit, ping: () => pingServer(client) };
}

/** `PING` on one connection; at once a rejection when it is not connected. */
export function pingServer(client: Redis): Promise<unknown> {
  if (DISCONNECTED.has(client.status)) {
    return Promise.reject(new Error(`not connected (connection ${client.status})`));
  }
  return client.ping();
}

/**
 * `PING` on the connection to one master. A master whose connection ioredis dropped (it went away)
 * gets one again from a refresh of the slot map, which names it; commands only reconnect to it
 * when one of them is redirected there, so a health check must not wait for traffic to do it.
 */
async function pingClusterNode(cluster: Cluster, address: string): Promise<unknown> {
  let node = connectionTo(cluster, address);
  if (!node) {
    await new Promise<void>((resolve) => cluster.refreshSlotsCache(() => resolve()));
    node = connectionTo(cluster, address);
  }
  if (!node) throw new Error('not connected (connection closed)');
  return pingServer(node);
}

function connectionTo(cluster: Cluster, address: string): Redis | undefined {
  return cluster.nodes('all').find(({ options }) => `${options.host}:${options.port}` === address);
}
