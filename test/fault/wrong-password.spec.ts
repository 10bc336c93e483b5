import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freshPrefix, startCacheApp } from '../support/cache-app.js';
import { expectFailsOpen, ReportService } from '../support/fails-open.js';
import { startRedis, type RedisServer } from '../support/servers.js';

describe('a Redis server that refuses the password', () => {
  let server: RedisServer;

  beforeAll(async () => {
    server = await startRedis(['--requirepass', 'right-secret']);
  });
  afterAll(() => server?.stop());

  it('boots, returns every method result and counts the failures', async () => {
    await expectFailsOpen({
      store: 'redis',
      redis: { url: `redis://:wrong-secret@127.0.0.1:${server.port}` },
      keyPrefix: freshPrefix(),
    });
  });

  it.each([
    [
      'a wrong password',
      ':wrong-secret@',
      /refused the username or password \(WRONGPASS\)\. Correct redis\.password/,
    ],
    ['no password', '', /requires a password \(NOAUTH\)\. Set redis\.password/],
  ])('with %s: logs one line that says which option to correct', async (_, credentials, advice) => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const app = await startCacheApp(
      {
        store: 'redis',
        redis: { url: `redis://${credentials}127.0.0.1:${server.port}` },
        keyPrefix: freshPrefix(),
      },
      [ReportService],
    );
    try {
      expect(await app.get(ReportService).build(3)).toBe('report 3');
      expect(await app.client.get('k')).toBeUndefined();
      expect(await app.client.set('k', 1)).toBe(false);
    } finally {
      await app.close();
    }
    const lines = warn.mock.calls.map(([line]) => String(line));
    warn.mockRestore();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`Redis server 127\\.0\\.0\\.1:${server.port} `));
    expect(lines[0]).toMatch(advice);
    expect(lines[0]).not.toContain('wrong-secret');
  });

  it('caches with the right password', async () => {
    const app = await startCacheApp(
      {
        store: 'redis',
        redis: { url: `redis://:right-secret@127.0.0.1:${server.port}` },
        keyPrefix: freshPrefix(),
      },
      [ReportService],
    );
    try {
      const reports = app.get(ReportService);
      await reports.build(2);
      await reports.build(2);
      expect(reports.calls).toBe(1);
    } finally {
      await app.close();
    }
  });
});
