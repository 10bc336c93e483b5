// A first figure for issue 9: publish → receive latency of the invalidation bus between two buses
// (two connections each) in one process, on a local redis-server. Not part of `npm run bench` yet.
//   node --import ./bench/register.mjs bench/bus-latency.ts [messages]
import { InvalidationBus } from '../lib/tiers/invalidation-bus.js';
import type { RedisSettings } from '../lib/options/resolved-options.js';
import { startRedis } from '../test/support/servers.js';
import { percentile, round } from './harness/stats.js';

const count = Number(process.argv[2] ?? 10_000);

async function main(): Promise<void> {
  const server = await startRedis();
  const redis: RedisSettings = { host: server.host, port: server.port };
  const channel = 'bench-bus';
  const sender = new InvalidationBus({ redis, channel });
  const receiver = new InvalidationBus({ redis, channel });
  await Promise.all(
    [sender, receiver].map(
      (bus) => new Promise<void>((resolve) => (bus.isUp ? resolve() : bus.once('up', resolve))),
    ),
  );
  const latencies = new Float64Array(count);
  let waiting: ((at: number) => void) | undefined;
  receiver.on('message', () => waiting?.(performance.now()));
  const send = async (i: number) => {
    const arrived = new Promise<number>((resolve) => (waiting = resolve));
    const started = performance.now();
    await sender.publish({ keys: [`user:${i}`] });
    latencies[i] = (await arrived) - started;
  };
  for (let i = 0; i < Math.min(1000, count); i++) await send(i); // warm-up
  for (let i = 0; i < count; i++) await send(i);
  const ms = (p: number) => round(percentile(latencies, p), 3);
  console.log(
    JSON.stringify({
      messages: count,
      p50Ms: ms(50),
      p99Ms: ms(99),
      maxMs: ms(100),
      stats: receiver.stats(),
    }),
  );
  await Promise.all([sender.close(), receiver.close()]);
  await server.stop();
}

void main();
