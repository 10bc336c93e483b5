import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { inspectRedis } from './redis-cli.js';
import {
  startProcess,
  startRedis,
  startTlsRedis,
  tlsServerArgs,
  type RedisServer,
  type RedisTlsSettings,
  type ServerProcess,
} from './servers.js';
import { eventually } from './store-contract.js';

/** One data node (master or replica) with an outside connection to inspect it. */
export interface SentinelDataNode {
  server: RedisServer;
  inspector: Redis;
}

export interface RedisSentinelHarness {
  /** The master name the sentinels monitor. */
  readonly name: string;
  /** Every sentinel as `{ host, port }`: what to give ioredis. */
  readonly sentinels: { host: string; port: number }[];
  /** The master at start, then its replica. */
  readonly nodes: SentinelDataNode[];
  /** An outside connection to the `i`-th sentinel. */
  sentinel(i: number): Redis;
  /** The data node every sentinel names as the master now. */
  master(): Promise<SentinelDataNode>;
  /**
   * Waits until every sentinel agrees on one live master, knows the two other sentinels and a
   * replica, and that replica's link to the master is up: only then will a failover succeed.
   */
  healthy(timeoutMs?: number): Promise<void>;
  /** SIGKILL a data node. */
  kill(node: SentinelDataNode): Promise<void>;
  /** Kills every process and removes every directory; safe to call twice and after a failure. */
  stop(): Promise<void>;
}

export interface RedisSentinelOptions {
  name?: string;
  /** `down-after-milliseconds`: how long a silent master takes to be seen as down. */
  downAfterMs?: number;
  /** `failover-timeout`, ms. */
  failoverTimeoutMs?: number;
  /**
   * TLS only: the data nodes with `port 0`, `tls-port` and `tls-replication yes`; the sentinels
   * with `port 0`, `tls-port` and `tls-replication yes` (a sentinel connects to masters, replicas
   * and the other sentinels over TLS when `tls-replication` is on). The inspectors use TLS too.
   */
  tls?: RedisTlsSettings;
}

const SENTINELS = 3;
const QUORUM = 2;

/**
 * A real Sentinel setup on loopback: a master, one replica (both with
 * `repl-diskless-sync-delay 0`, so the replica syncs at once) and three sentinels (`redis-server
 * <conf> --sentinel`, quorum 2), over TLS only with `tls`. Resolves once the setup can fail over;
 * whatever was started is stopped again when start-up fails.
 */
export async function startRedisSentinel(
  options: RedisSentinelOptions = {},
): Promise<RedisSentinelHarness> {
  const { name = 'ndc-master', downAfterMs = 1000, failoverTimeoutMs = 3000, tls } = options;
  const nodes: SentinelDataNode[] = [];
  const sentinels: { proc: ServerProcess; inspector: Redis; dir: string }[] = [];
  const dead = new Set<SentinelDataNode>();
  let stopped: Promise<void> | undefined;

  /** Every sentinel's answer to "where is the master", as ports. */
  const masterPorts = () =>
    Promise.all(
      sentinels.map(async ({ inspector }) => {
        const address = (await inspector.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as
          [string, string] | null;
        return address ? Number(address[1]) : undefined;
      }),
    );

  const harness: RedisSentinelHarness = {
    name,
    get sentinels() {
      return sentinels.map(({ proc }) => ({ host: proc.host, port: proc.port }));
    },
    nodes,
    sentinel: (i) => sentinels[i].inspector,
    async master() {
      const ports = await masterPorts();
      const node = nodes.find(({ server }) => ports.every((port) => port === server.port));
      if (!node) throw new Error(`the sentinels disagree on the master: ${ports.join(', ')}`);
      return node;
    },
    async healthy(timeoutMs = 20_000) {
      await eventually(async () => {
        const ports = await masterPorts();
        const master = nodes.find((node) => node.server.port === ports[0]);
        if (!master || dead.has(master) || ports.some((port) => port !== ports[0])) return false;
        const role = String(await master.inspector.info('replication'));
        if (!role.includes('role:master')) return false;
        const views = await Promise.all(
          sentinels.map(async ({ inspector }) =>
            fields((await inspector.call('SENTINEL', 'MASTER', name)) as string[]),
          ),
        );
        const settled = views.every(
          (view) =>
            view.flags === 'master' &&
            Number(view['num-other-sentinels']) === SENTINELS - 1 &&
            Number(view['num-slaves']) >= 1,
        );
        if (!settled) return false;
        const replicas = nodes.filter((node) => node !== master && !dead.has(node));
        const links = await Promise.all(
          replicas.map(async (node) => String(await node.inspector.info('replication'))),
        );
        return (
          replicas.length > 0 &&
          links.every(
            (info) =>
              info.includes('master_link_status:up') &&
              info.includes(`master_port:${master.server.port}`),
          )
        );
      }, timeoutMs);
    },
    async kill(node) {
      dead.add(node);
      node.inspector.disconnect();
      await node.server.kill();
    },
    stop() {
      stopped ??= (async () => {
        for (const { inspector } of [...nodes, ...sentinels]) inspector.disconnect();
        await Promise.all([
          ...nodes.map(({ server }) => server.stop()),
          ...sentinels.map(async ({ proc, dir }) => {
            await proc.stop();
            rmSync(dir, { recursive: true, force: true });
          }),
        ]);
      })();
      return stopped;
    },
  };

  try {
    const replication = ['--repl-diskless-sync-delay', '0'];
    const master = await startDataNode(replication, nodes, tls);
    await startDataNode(
      [...replication, '--replicaof', master.server.host, String(master.server.port)],
      nodes,
      tls,
    );
    for (let i = 0; i < SENTINELS; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'ndc-sentinel-'));
      const conf = join(dir, 'sentinel.conf');
      const proc = await startProcess('redis-server', (port) => {
        // Sentinel rewrites its config file with what it learns: it must be its own, writable.
        writeFileSync(
          conf,
          [
            ...listenLines(port, tls),
            'bind 127.0.0.1',
            'protected-mode no',
            `dir ${dir}`,
            `sentinel monitor ${name} ${master.server.host} ${master.server.port} ${QUORUM}`,
            `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
            `sentinel failover-timeout ${name} ${failoverTimeoutMs}`,
            `sentinel parallel-syncs ${name} 1`,
            '',
          ].join('\n'),
        );
        return [conf, '--sentinel'];
      }).catch((error: unknown) => {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      });
      sentinels.push({ proc, dir, inspector: inspectRedis(proc.port, tls) });
    }
    await harness.healthy();
    return harness;
  } catch (error) {
    await harness.stop();
    throw error;
  }
}

async function startDataNode(
  args: string[],
  into: SentinelDataNode[],
  tls: RedisTlsSettings | undefined,
): Promise<SentinelDataNode> {
  const server = tls
    ? await startTlsRedis(tls, [...args, '--tls-replication', 'yes'])
    : await startRedis(args);
  const node = { server, inspector: inspectRedis(server.port, tls) };
  into.push(node);
  return node;
}

/** A sentinel's `port` lines: plain, or TLS only (`port 0`, `tls-port`) with `tls-replication`. */
function listenLines(port: number, tls: RedisTlsSettings | undefined): string[] {
  if (!tls) return [`port ${port}`];
  const directives = tlsServerArgs(tls).map(([name, value]) => `${name} ${value}`);
  return ['port 0', `tls-port ${port}`, ...directives, 'tls-replication yes'];
}

/** A flat `[field, value, field, value, …]` reply as an object. */
function fields(reply: string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) result[reply[i]] = reply[i + 1];
  return result;
}
