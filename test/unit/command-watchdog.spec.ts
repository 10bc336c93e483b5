import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CacheTimeoutError } from '../../lib/index.js';
import { CommandWatchdog } from '../../lib/stores/redis/command-watchdog.js';

/** A command as ioredis queues it once written, recording how it was settled. */
class FakeCommand {
  isResolved = false;
  rejections: Error[] = [];
  reject(error: Error): void {
    this.rejections.push(error);
  }
}

/** Just ioredis's `commandQueue` (a denque of `{ command }`, oldest first). */
function fakeClient() {
  const items: { command: FakeCommand }[] = [];
  const commandQueue = {
    get length() {
      return items.length;
    },
    peekAt: (index: number) => items[index],
  };
  const send = () => {
    const command = new FakeCommand();
    items.push({ command });
    return command;
  };
  const answerOldest = () => {
    const item = items.shift();
    if (item) item.command.isResolved = true;
  };
  return { client: { commandQueue, options: {} } as unknown as Redis, send, answerOldest };
}

const TIMEOUT = 800;

describe('CommandWatchdog', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('gives up on an unanswered command between 1× and 1.25× the timeout after it was sent', () => {
    const { client, send } = fakeClient();
    const watchdog = CommandWatchdog.for(client, TIMEOUT)!;
    vi.advanceTimersByTime(37);
    const command = send();
    watchdog.watch();
    vi.advanceTimersByTime(TIMEOUT - 1);
    expect(command.rejections).toEqual([]);
    vi.advanceTimersByTime(TIMEOUT / 4);
    expect(command.rejections).toHaveLength(1);
    expect(command.rejections[0]).toBeInstanceOf(CacheTimeoutError);
    expect(command.rejections[0]).toMatchObject({ code: 'E_CACHE_TIMEOUT', timeoutMs: TIMEOUT });
  });

  it('rejects a command once, although it stays queued until its late reply', () => {
    const { client, send } = fakeClient();
    const watchdog = CommandWatchdog.for(client, TIMEOUT)!;
    const command = send();
    watchdog.watch();
    vi.advanceTimersByTime(TIMEOUT * 5);
    expect(command.rejections).toHaveLength(1);
  });

  it('leaves answered commands alone and gives up only on the ones still waiting', () => {
    const { client, send, answerOldest } = fakeClient();
    const watchdog = CommandWatchdog.for(client, TIMEOUT)!;
    const answered = send();
    const waiting = send();
    watchdog.watch();
    vi.advanceTimersByTime(TIMEOUT / 2);
    answerOldest();
    vi.advanceTimersByTime(TIMEOUT);
    expect(answered.rejections).toEqual([]);
    expect(waiting.rejections).toHaveLength(1);
  });

  it('runs no timer while nothing is in flight, and starts again with the next command', () => {
    const { client, send, answerOldest } = fakeClient();
    const watchdog = CommandWatchdog.for(client, TIMEOUT)!;
    send();
    watchdog.watch();
    expect(vi.getTimerCount()).toBe(1);
    answerOldest();
    vi.advanceTimersByTime(TIMEOUT / 8);
    expect(vi.getTimerCount()).toBe(0);
    const next = send();
    watchdog.watch();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(TIMEOUT * 1.25);
    expect(next.rejections).toHaveLength(1);
  });

  it('stop() clears its timer', () => {
    const { client, send } = fakeClient();
    const watchdog = CommandWatchdog.for(client, TIMEOUT)!;
    send();
    watchdog.watch();
    watchdog.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('answers undefined when the client keeps no queue where it looks (the store then times each command)', () => {
    const client = { options: {} } as unknown as Redis;
    expect(CommandWatchdog.for(client, TIMEOUT)).toBeUndefined();
    expect(client.options.commandTimeout).toBeUndefined();
  });

  it('watches a real ioredis client (its queue is where the watchdog looks)', () => {
    const client = new Redis({ lazyConnect: true });
    expect(CommandWatchdog.for(client, TIMEOUT)).toBeInstanceOf(CommandWatchdog);
    expect(client.options.commandTimeout).toBeUndefined();
    client.disconnect();
  });
});
