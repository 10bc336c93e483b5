import { CacheTimeoutError } from '../errors.js';
import type { CacheNodePing, CachePing } from '../interfaces/cache-client.interface.js';
import type { CacheStore, StoreNode } from '../stores/cache-store.interface.js';
import { withDeadline } from '../utils/deadline.js';

export interface PingSettings {
  /** Longest wait for the list of servers, then for each server's answer, in milliseconds. */
  timeoutMs: number;
  /** Whether the circuit kept under `address` is open now: that server gets no command. */
  circuitOpen?(address: string): boolean;
  /** Named in a timeout's error. */
  store?: string;
}

/** The key a store without `nodes()` is read at to see whether it answers. */
export const PROBE_KEY = '__ping__';

/**
 * Every server of `store` pinged at once, each held to `timeoutMs`; `ok` when all answered.
 * Passive: it neither counts toward nor probes a circuit. Never rejects.
 */
export async function pingStore(store: CacheStore, settings: PingSettings): Promise<CachePing> {
  let nodes: StoreNode[];
  try {
    nodes = await bounded(async () => nodesOf(store), settings);
  } catch (error) {
    return summarize([{ address: store.name, ok: false, error: describeFailure(error) }]);
  }
  if (nodes.length === 0) {
    return summarize([{ address: store.name, ok: false, error: 'no server known' }]);
  }
  return pingNodes(nodes, settings);
}

/** `nodes` pinged at once; never rejects. */
export async function pingNodes(
  nodes: readonly StoreNode[],
  settings: PingSettings,
): Promise<CachePing> {
  return summarize(await Promise.all(nodes.map((node) => pingNode(node, settings))));
}

/** One server: its round trip, or why it is down; at once when its circuit is open. */
export async function pingNode(node: StoreNode, settings: PingSettings): Promise<CacheNodePing> {
  const { address } = node;
  if (settings.circuitOpen?.(node.circuit ?? address)) {
    return { address, ok: false, error: 'circuit open' };
  }
  const started = performance.now();
  try {
    await bounded(() => node.ping(), settings);
    return { address, ok: true, latencyMs: roundedMs(performance.now() - started) };
  } catch (error) {
    return { address, ok: false, error: describeFailure(error) };
  }
}

/** `ok` only when there is at least one node and every node is ok. */
export function summarize(nodes: CacheNodePing[]): CachePing {
  return { ok: nodes.length > 0 && nodes.every((node) => node.ok), nodes };
}

/**
 * A failure in a few words a health endpoint may show: a timeout by its bound, anything else by
 * its message with any `user:password@` of a URL masked.
 */
export function describeFailure(error: unknown): string {
  if (error instanceof CacheTimeoutError) return `no answer within ${error.timeoutMs} ms`;
  const message = error instanceof Error ? error.message : undefined;
  if (!message) return error instanceof Error ? `failed (${error.name})` : 'failed';
  return message.replace(/\/\/[^/@\s]*@/g, '//***@');
}

function nodesOf(store: CacheStore): StoreNode[] | Promise<StoreNode[]> {
  if (store.nodes) return store.nodes();
  return [{ address: store.name, ping: async () => store.get(PROBE_KEY) }];
}

function bounded<T>(run: () => T | Promise<T>, { timeoutMs, store }: PingSettings): Promise<T> {
  const timedOut = () => new CacheTimeoutError(store ?? 'cache', timeoutMs);
  return withDeadline(Promise.resolve().then(run), timeoutMs, timedOut);
}

function roundedMs(ms: number): number {
  return Math.round(ms * 100) / 100;
}
