import calculateSlot from 'cluster-key-slot';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BUS_DEFAULTS } from '../../lib/tiers/bus-options.js';
import { busesOfEachTest, busUp, recordBus } from '../support/bus-recorder.js';
import { eventually } from '../support/store-contract.js';
import { startRedisCluster, type RedisClusterHarness } from '../support/redis-cluster.js';
import { startRedis, type RedisServer } from '../support/servers.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const { freshChannel, openBus } = busesOfEachTest('fault');

/** A paused server is noticed within one heartbeat interval plus one PING timeout (750 ms). */
const PAUSE_DETECTION_BOUND_MS = BUS_DEFAULTS.heartbeatInterval + BUS_DEFAULTS.commandTimeout;

describe('InvalidationBus when its Redis fails', () => {
  let server: RedisServer;
  const redis = () => ({ host: server.host, port: server.port });

  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('goes down when the server is killed, and up again once re-subscribed after a restart', async () => {
    const channel = freshChannel();
    const a = openBus({ redis: redis(), channel });
    const b = openBus({ redis: redis(), channel });
    const heardByA = recordBus(a);
    const heardByB = recordBus(b);
    await Promise.all([busUp(a), busUp(b)]);

    const killed = performance.now();
    await server.kill();
    const down = await heardByA.next('down', killed);
    expect(down - killed).toBeLessThan(2000);
    expect(a.isUp).toBe(false);

    const restarted = performance.now();
    await server.restart();
    const up = await heardByA.next('up', restarted);
    // Reconnection attempts are at most 1 s apart (maxReconnectDelay).
    expect(up - restarted).toBeLessThan(5000);
    await heardByB.next('up', restarted);

    await a.publish({ keys: ['after-restart'] });
    await heardByB.received((m) => m.keys?.[0] === 'after-restart');
  });

  it(`goes down within ${PAUSE_DETECTION_BOUND_MS} ms of a pause (SIGSTOP), publish() still returns within commandTimeout, up after resume`, async () => {
    const channel = freshChannel();
    const a = openBus({ redis: redis(), channel });
    const heard = recordBus(a);
    await busUp(a);

    const paused = performance.now();
    await server.pause();
    try {
      const publishing = performance.now();
      await a.publish({ keys: ['during-pause'] });
      expect(performance.now() - publishing).toBeLessThan(BUS_DEFAULTS.commandTimeout + 500);
      const down = await heard.next('down', paused);
      // Generous margin over the bound for a loaded 2-core machine.
      expect(down - paused).toBeLessThan(PAUSE_DETECTION_BOUND_MS + 1500);
      expect(heard.events.find((e) => e.name === 'down')?.detail).toMatch(/PING/);
    } finally {
      server.resume();
    }
    const resumed = performance.now();
    const up = await heard.next('up', resumed);
    expect(up - resumed).toBeLessThan(5000);
    expect(a.isUp).toBe(true);
  });
});

describe('InvalidationBus cut off from Redis while the others are not', () => {
  let server: RedisServer;
  let proxy: TcpProxy;

  beforeAll(async () => {
    server = await startRedis();
  });
  afterEach(async () => {
    await proxy?.stop();
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** `cutOff` reaches Redis through a proxy the test cuts; `other` directly. */
  async function twoServers(maxQueue?: number) {
    proxy = await startTcpProxy(server.port);
    const channel = freshChannel();
    const cutOff = openBus({ redis: { host: server.host, port: proxy.port }, channel, maxQueue });
    const other = openBus({ redis: { host: server.host, port: server.port }, channel });
    const heardByCutOff = recordBus(cutOff);
    const heardByOther = recordBus(other);
    await Promise.all([busUp(cutOff), busUp(other)]);
    return { cutOff, other, heardByCutOff, heardByOther };
  }

  it('queues what it publishes while cut off and sends it when the connection returns', async () => {
    const { cutOff, heardByCutOff, heardByOther } = await twoServers();
    const cut = performance.now();
    await proxy.cut();
    await heardByCutOff.next('down', cut);

    await cutOff.publish({ keys: ['k1'] });
    await cutOff.publish({ keys: ['k2', 'k1'] });
    await cutOff.publish({ tags: ['t1'] });
    expect(cutOff.stats()).toMatchObject({ queued: 3, sent: 0, lost: 0 });
    expect(heardByOther.messages).toEqual([]);

    await proxy.restore();
    await heardByOther.received(() => true);
    expect(heardByOther.messages).toEqual([
      { from: cutOff.senderId, keys: ['k1', 'k2'], tags: ['t1'] },
    ]);
    // The flush counts its message once Redis answers the PUBLISH, which can come (through the
    // proxy) after the other bus has heard the message.
    await eventually(() => cutOff.stats().sent === 1);
    expect(cutOff.stats()).toMatchObject({ queued: 0, sent: 1, lost: 0 });
  });

  it('counts queue overflow as lost, signals it, and sends one clear instead', async () => {
    const { cutOff, heardByCutOff, heardByOther } = await twoServers(3);
    const cut = performance.now();
    await proxy.cut();
    await heardByCutOff.next('down', cut);

    for (let i = 0; i < 6; i++) await cutOff.publish({ keys: [`k${i}`] });
    const lostEvents = heardByCutOff.events.filter((e) => e.name === 'lost');
    expect(lostEvents.map((e) => e.detail)).toEqual([4]);
    expect(cutOff.stats()).toMatchObject({ lost: 4, queued: 1 });

    await proxy.restore();
    await heardByOther.received(() => true);
    expect(heardByOther.messages).toEqual([{ from: cutOff.senderId, clear: true }]);
  });
});

describe('InvalidationBus on a Redis Cluster whose shard master dies', () => {
  let cluster: RedisClusterHarness;

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 2000 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('goes down, then up on the promoted replica, and delivers again', async () => {
    const channel = freshChannel();
    const redis = { cluster: { nodes: cluster.nodes } };
    const a = openBus({ redis, channel });
    const b = openBus({ redis, channel });
    const [heardByA, heardByB] = [recordBus(a), recordBus(b)];
    await Promise.all([busUp(a), busUp(b)]);

    const victim = await cluster.masterOf(calculateSlot(channel));
    const killed = performance.now();
    await cluster.kill(victim);
    await heardByA.next('down', killed, 2000);
    await cluster.failedOver(victim);
    await heardByA.next('up', killed, 15_000);
    await heardByB.next('up', killed, 15_000);

    await a.publish({ keys: ['after-failover'] });
    await heardByB.received((m) => m.keys?.[0] === 'after-failover', 5000);
    const heir = await cluster.masterOf(calculateSlot(channel));
    const [, subscribers] = (await heir.inspector.call('PUBSUB', 'SHARDNUMSUB', channel)) as [
      string,
      number,
    ];
    expect(subscribers).toBe(2);
  });
});
