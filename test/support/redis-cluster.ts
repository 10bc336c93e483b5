import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import calculateSlot from 'cluster-key-slot';
import { inspectRedis, redisCliTlsArgs } from './redis-cli.js';
import {
  freePort,
  startRedis,
  startTlsRedis,
  type RedisServer,
  type RedisTlsSettings,
} from './servers.js';
import { eventually } from './store-contract.js';

const run = promisify(execFile);

/** A node's bus port is its port + 10000 (Redis's fixed offset), its `tls-port` on a TLS node. */
const BUS_OFFSET = 10_000;

/** The bus and replication over TLS too: a TLS-only node (`port 0`) has no plain port to use. */
const TLS_TOPOLOGY_ARGS = ['--tls-cluster', 'yes', '--tls-replication', 'yes'];

/** One line of `CLUSTER NODES`, as one node sees another. */
export interface ClusterNodeView {
  id: string;
  port: number;
  flags: string[];
  /** The master's id, for a replica. */
  masterId?: string;
  /** Slot ranges `[first, last]` a master serves. */
  slots: [number, number][];
}

/** One process of the cluster, with an outside connection to inspect it. */
export interface ClusterMember {
  /** The node id (`CLUSTER MYID`). */
  id: string;
  server: RedisServer;
  inspector: Redis;
}

export interface RedisClusterHarness {
  /** Every node as `{ host, port }`: the seeds to give ioredis. */
  readonly nodes: { host: string; port: number }[];
  readonly members: ClusterMember[];
  /** The member that serves `slot` now, as the live nodes agree. */
  masterOf(slot: number): Promise<ClusterMember>;
  /** The replica of a master. */
  replicaOf(master: ClusterMember): Promise<ClusterMember>;
  /** Slot ranges a master serves now. */
  slotsOf(master: ClusterMember): Promise<[number, number][]>;
  /**
   * Waits until every live node says `cluster_state:ok`, every live node agrees on the masters,
   * and every replica whose master is alive has its replication link up.
   */
  healthy(timeoutMs?: number): Promise<void>;
  /**
   * After `kill(master)`: waits until every live node marks it failed and gives its slots to a
   * live node (its promoted replica), then until the cluster is healthy again.
   */
  failedOver(master: ClusterMember, timeoutMs?: number): Promise<void>;
  /** SIGKILL a member (its inspector is disconnected first, so it does not reconnect forever). */
  kill(member: ClusterMember): Promise<void>;
  /** Kills every process and removes every directory; safe to call twice and after a failure. */
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  masters?: number;
  replicasPerMaster?: number;
  /** `cluster-node-timeout`, ms: how long a silent master takes to be marked failed. */
  nodeTimeoutMs?: number;
  /**
   * TLS only: every node with `port 0` and `tls-port`, `tls-cluster yes` (the bus) and
   * `tls-replication yes`; the inspectors and `redis-cli --cluster create` use TLS too.
   */
  tls?: RedisTlsSettings;
}

/**
 * A real Redis Cluster on loopback: `masters × (1 + replicasPerMaster)` `redis-server
 * --cluster-enabled yes` processes on free ports (bus ports free too), joined by `redis-cli
 * --cluster create … --cluster-yes`, resolved once the cluster is `ok` everywhere and every
 * replica is in sync (over TLS only with `tls`). Whatever was started is stopped again when
 * start-up fails.
 */
export async function startRedisCluster(
  options: RedisClusterOptions = {},
): Promise<RedisClusterHarness> {
  const { masters = 3, replicasPerMaster = 1, nodeTimeoutMs = 2000, tls } = options;
  const members: ClusterMember[] = [];
  const dead = new Set<ClusterMember>();
  let stopped: Promise<void> | undefined;

  const live = () => members.filter((member) => !dead.has(member));
  const views = async () =>
    Promise.all(live().map(async (member) => clusterNodes(member.inspector)));
  const byId = (id: string) => {
    const member = members.find((candidate) => candidate.id === id);
    if (!member) throw new Error(`no cluster member has the id ${id}`);
    return member;
  };

  const harness: RedisClusterHarness = {
    get nodes() {
      return members.map(({ server }) => ({ host: server.host, port: server.port }));
    },
    members,
    async masterOf(slot) {
      const [view] = await views();
      const owner = view.find(
        (node) =>
          node.flags.includes('master') &&
          node.slots.some(([first, last]) => slot >= first && slot <= last),
      );
      if (!owner) throw new Error(`no master serves slot ${slot}`);
      return byId(owner.id);
    },
    async replicaOf(master) {
      const [view] = await views();
      const replica = view.find(
        (node) => node.masterId === master.id && !node.flags.includes('fail'),
      );
      if (!replica) throw new Error(`the master on port ${master.server.port} has no replica`);
      return byId(replica.id);
    },
    async slotsOf(master) {
      const [view] = await views();
      return view.find((node) => node.id === master.id)?.slots ?? [];
    },
    async healthy(timeoutMs = 20_000) {
      const expected = masters * (1 + replicasPerMaster);
      await eventually(async () => {
        const alive = live();
        const infos = await Promise.all(alive.map((m) => m.inspector.call('CLUSTER', 'INFO')));
        if (!infos.every((info) => String(info).includes('cluster_state:ok'))) return false;
        const layouts = (await views()).map((view) => layoutOf(view, alive, expected));
        const [layout] = layouts;
        if (!layout || layouts.some((other) => other !== layout)) return false;
        const replicas = alive.filter((member) => !layout.includes(`${member.id}:master`));
        const links = await Promise.all(
          replicas.map(async (member) => String(await member.inspector.info('replication'))),
        );
        return links.every((info) => info.includes('master_link_status:up'));
      }, timeoutMs);
    },
    async failedOver(master, timeoutMs = 30_000) {
      const started = Date.now();
      await eventually(async () => {
        const seen = await views();
        return seen.every((view) => {
          const old = view.find((node) => node.id === master.id);
          return old !== undefined && old.flags.includes('fail') && old.slots.length === 0;
        });
      }, timeoutMs);
      await harness.healthy(Math.max(1, timeoutMs - (Date.now() - started)));
    },
    async kill(member) {
      dead.add(member);
      member.inspector.disconnect();
      await member.server.kill();
    },
    stop() {
      stopped ??= (async () => {
        for (const { inspector } of members) inspector.disconnect();
        await Promise.all(members.map(({ server }) => server.stop()));
      })();
      return stopped;
    },
  };

  try {
    const count = masters * (1 + replicasPerMaster);
    const servers = await Promise.all(
      Array.from({ length: count }, () => startClusterNode(nodeTimeoutMs, tls)),
    );
    members.push(...servers);
    await run('redis-cli', [
      '--cluster',
      'create',
      ...servers.map(({ server }) => server.address),
      '--cluster-replicas',
      String(replicasPerMaster),
      '--cluster-yes',
      ...redisCliTlsArgs(tls),
    ]);
    await harness.healthy();
    return harness;
  } catch (error) {
    await harness.stop();
    throw error;
  }
}

/**
 * What one node believes, in one string, or `undefined` while that is not a settled cluster: every
 * live member a master with slots or a replica of such a master, each dead one flagged `fail`.
 */
function layoutOf(
  view: readonly ClusterNodeView[],
  alive: readonly ClusterMember[],
  expected: number,
): string | undefined {
  if (view.length !== expected) return undefined;
  const settled = (node: ClusterNodeView) =>
    !node.flags.some((flag) => ['fail', 'fail?', 'handshake', 'noaddr'].includes(flag));
  const masters = new Set(
    view
      .filter((node) => node.flags.includes('master') && settled(node) && node.slots.length > 0)
      .map((node) => node.id),
  );
  const roles: string[] = [];
  for (const node of view) {
    const isAlive = alive.some((member) => member.id === node.id);
    if (!isAlive) {
      if (!node.flags.includes('fail') || node.slots.length > 0) return undefined;
    } else if (masters.has(node.id)) {
      roles.push(`${node.id}:master`);
    } else if (
      node.flags.includes('slave') &&
      settled(node) &&
      node.masterId &&
      masters.has(node.masterId)
    ) {
      roles.push(`${node.id}:replica-of:${node.masterId}`);
    } else {
      return undefined;
    }
  }
  return roles.sort().join(',');
}

/** Keys (`prefix` + a name) that hash into `ranges`, `count` of them. */
export function keysInSlots(
  ranges: readonly [number, number][],
  count: number,
  name: (i: number) => string,
  prefix = '',
): string[] {
  const found: string[] = [];
  for (let i = 0; found.length < count; i++) {
    if (i > 1_000_000) throw new Error('no key found in those slots');
    const slot = calculateSlot(prefix + name(i));
    if (ranges.some(([first, last]) => slot >= first && slot <= last)) found.push(name(i));
  }
  return found;
}

/** `CLUSTER NODES`, parsed. */
export async function clusterNodes(inspector: Redis): Promise<ClusterNodeView[]> {
  const text = String(await inspector.call('CLUSTER', 'NODES'));
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id, address, flags, master, , , , , ...slots] = line.split(' ');
      return {
        id,
        port: Number(address.split('@')[0].split(':').pop()),
        flags: flags.split(','),
        masterId: master === '-' ? undefined : master,
        slots: slots
          .filter((slot) => !slot.startsWith('['))
          .map((slot) => {
            const [first, last = first] = slot.split('-').map(Number);
            return [first, last] as [number, number];
          }),
      };
    });
}

/**
 * One `--cluster-enabled` node whose port and bus port are both free (TLS only with `tls`). A bus
 * port taken between the check and the start makes redis-server exit: then try other ports.
 */
async function startClusterNode(
  nodeTimeoutMs: number,
  tls: RedisTlsSettings | undefined,
  attempts = 5,
): Promise<ClusterMember> {
  const args = [
    ...['--cluster-enabled', 'yes', '--cluster-node-timeout', String(nodeTimeoutMs)],
    ...['--repl-diskless-sync-delay', '0'],
  ];
  for (let attempt = 1; ; attempt++) {
    const port = await freeClusterPort();
    let server: RedisServer | undefined;
    try {
      server = tls
        ? await startTlsRedis(tls, [...args, ...TLS_TOPOLOGY_ARGS], port)
        : await startRedis(args, port);
      const inspector = inspectRedis(port, tls);
      // PING answers only once start-up (bus port bound) is over; redis exits when it cannot bind.
      try {
        await inspector.ping();
        const id = String(await inspector.call('CLUSTER', 'MYID'));
        return { id, server, inspector };
      } catch (error) {
        inspector.disconnect();
        throw error;
      }
    } catch (error) {
      await server?.stop();
      if (attempt >= attempts) throw error;
    }
  }
}

/** A free port whose bus port (port + 10000) is free as well. */
async function freeClusterPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + BUS_OFFSET !== 16379 && (await isFree(port + BUS_OFFSET))) return port;
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
