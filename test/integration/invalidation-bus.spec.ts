import calculateSlot from 'cluster-key-slot';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidationBus } from '../../lib/tiers/invalidation-bus.js';
import { busesOfEachTest, busUp, recordBus } from '../support/bus-recorder.js';
import { inspectRedis, redisConnections } from '../support/redis-cli.js';
import {
  keysInSlots,
  startRedisCluster,
  type RedisClusterHarness,
} from '../support/redis-cluster.js';
import { startRedis, type RedisServer } from '../support/servers.js';
import { eventually } from '../support/store-contract.js';

const { freshChannel, openBus } = busesOfEachTest('test');

describe('InvalidationBus on a standalone Redis', () => {
  let server: RedisServer;
  let inspector: Redis;
  const redis = () => ({ host: server.host, port: server.port });

  beforeAll(async () => {
    server = await startRedis();
    inspector = inspectRedis(server.port);
  });
  afterAll(async () => {
    inspector?.disconnect();
    await server?.stop();
  });

  it("delivers each bus's messages to the other and never to itself", async () => {
    const channel = freshChannel();
    const a = openBus({ redis: redis(), channel });
    const b = openBus({ redis: redis(), channel });
    const [heardByA, heardByB] = [recordBus(a), recordBus(b)];
    await Promise.all([busUp(a), busUp(b)]);

    await a.publish({ keys: ['user:1', 'user:2'] });
    await b.publish({ tags: ['users'] });
    await b.publish({ clear: true });

    await heardByB.received((m) => m.keys?.includes('user:1') === true);
    await heardByA.received((m) => m.clear === true);
    expect(heardByB.messages).toEqual([{ from: a.senderId, keys: ['user:1', 'user:2'] }]);
    expect(heardByA.messages).toEqual([
      { from: b.senderId, tags: ['users'] },
      { from: b.senderId, clear: true },
    ]);
    await eventually(() => a.stats().ignoredOwn === 1 && b.stats().ignoredOwn === 2);
    expect(a.stats()).toMatchObject({ sent: 1, received: 2, lost: 0, malformed: 0 });
    expect(b.stats()).toMatchObject({ sent: 2, received: 1, lost: 0, malformed: 0 });
  });

  it('keeps two caches (two channels) apart', async () => {
    const [first, second] = [freshChannel(), freshChannel()];
    const a = openBus({ redis: redis(), channel: first });
    const b = openBus({ redis: redis(), channel: first });
    const other = openBus({ redis: redis(), channel: second });
    const [heardByB, heardByOther] = [recordBus(b), recordBus(other)];
    await Promise.all([busUp(a), busUp(b), busUp(other)]);

    await a.publish({ keys: ['k'] });
    await heardByB.received((m) => m.keys?.[0] === 'k');
    // Delivery on one server is in order: a later message on the second channel arriving first
    // shows the earlier one on the first channel was not sent there.
    const probe = openBus({ redis: redis(), channel: second });
    await busUp(probe);
    await probe.publish({ keys: ['probe'] });
    await heardByOther.received((m) => m.keys?.[0] === 'probe');
    expect(heardByOther.messages.map((m) => m.keys)).toEqual([['probe']]);
  });

  it('ignores and counts garbage and foreign formats on the channel, and takes a newer wire version as a clear', async () => {
    const channel = freshChannel();
    const bus = openBus({ redis: redis(), channel });
    const heard = recordBus(bus);
    await busUp(bus);

    for (const junk of [
      'not json',
      '42',
      '{"v":0,"f":"x","k":["a"]}',
      '{"v":1,"k":["a"]}',
      '{"v":1,"f":"x","k":"a"}',
      '{"v":1,"f":"x","c":true}',
    ]) {
      await inspector.publish(channel, junk);
    }
    await inspector.publish(channel, '{"v":2,"f":"newer","k":["a"],"x":1}');
    await inspector.publish(channel, '{"v":1,"f":"other","k":["a"]}');

    await heard.received((m) => m.from === 'other');
    expect(heard.messages).toEqual([
      { from: 'newer', clear: true },
      { from: 'other', keys: ['a'] },
    ]);
    expect(bus.stats()).toMatchObject({ malformed: 6, received: 2 });
  });

  it('close() closes both connections and leaves no timers', async () => {
    const timers = () =>
      process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
    const before = await redisConnections(inspector);
    const timersBefore = timers();
    const bus = new InvalidationBus({ redis: redis(), channel: freshChannel() });
    await busUp(bus);
    await bus.publish({ keys: ['k'] });
    expect(await redisConnections(inspector)).toBe(before + 2);

    await bus.close();
    await eventually(async () => (await redisConnections(inspector)) === before);
    // A heartbeat PING in flight at close() keeps its deadline until ioredis rejects it, as the
    // closed socket's 'close' event arrives (after the server has counted the connection gone).
    await eventually(() => timers() <= timersBefore);
    expect(bus.isUp).toBe(false);
  });
});

describe('InvalidationBus on a Redis Cluster (sharded pub/sub)', () => {
  let cluster: RedisClusterHarness;
  const redis = () => ({ cluster: { nodes: cluster.nodes } });

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  /** Channels whose slots are served by two different masters. */
  async function channelsOnTwoShards(): Promise<[string, string]> {
    const [first, second] = cluster.members.filter((m) => m.server);
    const prefix = freshChannel();
    const [a] = keysInSlots(await cluster.slotsOf(first), 1, (i) => `${prefix}-a${i}`);
    const [b] = keysInSlots(await cluster.slotsOf(second), 1, (i) => `${prefix}-b${i}`);
    return [a, b];
  }

  it('delivers between buses with SSUBSCRIBE on the shard that owns the channel', async () => {
    const [channel] = await channelsOnTwoShards();
    const a = openBus({ redis: redis(), channel });
    const b = openBus({ redis: redis(), channel });
    const [heardByA, heardByB] = [recordBus(a), recordBus(b)];
    await Promise.all([busUp(a), busUp(b)]);

    await a.publish({ keys: ['k1'] });
    await b.publish({ tags: ['t1'] });
    await heardByB.received((m) => m.keys?.[0] === 'k1');
    await heardByA.received((m) => m.tags?.[0] === 't1');
    expect(heardByA.messages).toEqual([{ from: b.senderId, tags: ['t1'] }]);
    expect(heardByB.messages).toEqual([{ from: a.senderId, keys: ['k1'] }]);

    const owner = await cluster.masterOf(calculateSlot(channel));
    const [, subscribers] = (await owner.inspector.call('PUBSUB', 'SHARDNUMSUB', channel)) as [
      string,
      number,
    ];
    expect(subscribers).toBe(2);
    for (const member of cluster.members.filter((m) => m !== owner)) {
      const [, elsewhere] = (await member.inspector.call('PUBSUB', 'SHARDNUMSUB', channel)) as [
        string,
        number,
      ];
      expect(elsewhere).toBe(0);
    }
  });

  it('keeps two channels on two shards apart', async () => {
    const [first, second] = await channelsOnTwoShards();
    const a = openBus({ redis: redis(), channel: first });
    const b = openBus({ redis: redis(), channel: first });
    const other = openBus({ redis: redis(), channel: second });
    const probe = openBus({ redis: redis(), channel: second });
    const [heardByB, heardByOther] = [recordBus(b), recordBus(other)];
    await Promise.all([a, b, other, probe].map((bus) => busUp(bus)));

    await a.publish({ keys: ['k'] });
    await heardByB.received((m) => m.keys?.[0] === 'k');
    await probe.publish({ keys: ['probe'] });
    await heardByOther.received((m) => m.keys?.[0] === 'probe');
    expect(heardByOther.messages.map((m) => m.keys)).toEqual([['probe']]);
  });
});
