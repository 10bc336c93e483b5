import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** Fresh modules for each test, so that the once-per-process warning can be seen again. */
const load = () => import('../../lib/stores/redis/ioredis-internals.js');

describe('ioredis internals guard', () => {
  let warn: ReturnType<typeof vi.spyOn>;
  beforeEach(() => {
    vi.resetModules();
    warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    warn.mockRestore();
    vi.doUnmock('ioredis');
  });

  it('passes a real ioredis client, and logs nothing', async () => {
    const { canWatchCommands } = await load();
    const client = new Redis({ lazyConnect: true });
    expect(canWatchCommands(client)).toBe(true);
    expect(warn).not.toHaveBeenCalled();
    client.disconnect();
  });

  it('fails a client without the queue where the watchdog looks, with one warning naming ioredis, the versions and what is lost', async () => {
    const { canWatchCommands, IOREDIS_TESTED_VERSION } = await load();
    const doctored = [
      { options: {} },
      { options: {}, commandQueue: [] },
      { options: {}, commandQueue: { length: 0, peekAt: () => ({ command: {} }) } },
    ] as unknown as Redis[];
    for (const client of doctored) expect(canWatchCommands(client)).toBe(false);
    expect(warn).toHaveBeenCalledTimes(1);
    const message = String(warn.mock.calls[0][0]);
    expect(message).toContain(`ioredis ${IOREDIS_TESTED_VERSION} is installed`);
    expect(message).toContain(`tested with ioredis ${IOREDIS_TESTED_VERSION}`);
    expect(message).toMatch(/commandQueue/);
    expect(message).toMatch(/lost: the one watchdog timer per connection/);
    expect(message).toMatch(/still held to commandTimeout/);
  });

  it("fails when ioredis's Command no longer flips isResolved, though the client looks right", async () => {
    vi.doMock('ioredis', async (importOriginal) => {
      const original = await importOriginal<typeof import('ioredis')>();
      class DoctoredCommand extends original.Command {
        constructor(...args: ConstructorParameters<typeof original.Command>) {
          super(...args);
          delete (this as { isResolved?: boolean }).isResolved;
        }
      }
      return { ...original, Command: DoctoredCommand };
    });
    const { canWatchCommands } = await load();
    const client = new Redis({ lazyConnect: true });
    expect(canWatchCommands(client)).toBe(false);
    expect(String(warn.mock.calls[0][0])).toMatch(/Command has no isResolved/);
    client.disconnect();
  });

  it('recognises only the exact message of ioredis 5.11.1 as its own command timeout', async () => {
    const { isIoredisCommandTimeout } = await load();
    expect(isIoredisCommandTimeout(new Error('Command timed out'))).toBe(true);
    expect(isIoredisCommandTimeout(new Error('connect ETIMEDOUT'))).toBe(false);
    expect(isIoredisCommandTimeout('Command timed out')).toBe(false);
  });

  it('is pinned: package.json names the exact ioredis version installed and tested', async () => {
    const { IOREDIS_TESTED_VERSION } = await load();
    const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const installed = JSON.parse(readFileSync('node_modules/ioredis/package.json', 'utf8')) as {
      version: string;
    };
    expect(manifest.dependencies.ioredis).toBe(IOREDIS_TESTED_VERSION);
    expect(installed.version).toBe(IOREDIS_TESTED_VERSION);
  });
});
