import { Logger } from '@nestjs/common';
import type { ConnectionOptions } from 'node:tls';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { freshPrefix } from '../support/cache-app.js';
import { expectFailsOpen } from '../support/fails-open.js';
import { startTlsRedis, type RedisServer } from '../support/servers.js';
import { makeTlsFiles, type TlsFiles } from '../support/tls-certs.js';

let files: TlsFiles;
let server: RedisServer;
let expired: RedisServer;
let mutual: RedisServer;

beforeAll(async () => {
  files = await makeTlsFiles();
  const { serverCert: cert, serverKey: key, caCert: ca, expiredServerCert } = files;
  [server, expired, mutual] = await Promise.all([
    startTlsRedis({ cert, key, ca, authClients: false }),
    startTlsRedis({ cert: expiredServerCert, key, ca, authClients: false }),
    startTlsRedis({ cert, key, ca, authClients: true }),
  ]);
}, 30_000);
afterAll(async () => {
  await Promise.all([server?.stop(), expired?.stop(), mutual?.stop()]);
  files?.remove();
});

let warn: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  return () => vi.restoreAllMocks();
});

/** The failure lines the cache logged (not other warnings). */
function failureLines(): string[] {
  return warn.mock.calls
    .map(([message]) => String(message))
    .filter((message) => message.includes('continuing without the cache'));
}

/**
 * Starts an app on `url` with `tls`, calls a cached method twice and writes once: every call
 * returns the method's result, nothing is cached, and exactly one line is logged, returned.
 */
async function failsOpenWithOneLine(url: string, tls: ConnectionOptions): Promise<string> {
  await expectFailsOpen({ store: 'redis', redis: { url, tls }, keyPrefix: freshPrefix() });
  const lines = failureLines();
  expect(lines).toHaveLength(1);
  return lines[0];
}

describe('a Redis TLS handshake that fails', () => {
  it('with a CA that did not sign the server certificate: the app starts, calls fail open, one line says to give the right redis.tls.ca', async () => {
    const line = await failsOpenWithOneLine(server.url, { ca: files.read(files.otherCaCert) });
    expect(line).toMatch(/TLS handshake with the Redis server 127\.0\.0\.1:\d+ failed/);
    expect(line).toMatch(/not signed by a CA this client trusts\. Give the CA .* redis\.tls\.ca/);
  });

  it('with an expired server certificate: one line says it expired and to renew it', async () => {
    const line = await failsOpenWithOneLine(expired.url, { ca: files.read(files.caCert) });
    expect(line).toMatch(/failed \(CERT_HAS_EXPIRED\)/);
    expect(line).toMatch(/has expired\. Renew it on the server/);
  });

  it('without the client certificate a mutual-TLS server requires: one line says to give redis.tls.cert and key', async () => {
    const line = await failsOpenWithOneLine(mutual.url, { ca: files.read(files.caCert) });
    expect(line).toMatch(/wants a client certificate .* Give redis\.tls\.cert and redis\.tls\.key/);
  });

  it('with a servername the certificate does not list: one line says to set redis.tls.servername', async () => {
    const tls = { ca: files.read(files.caCert), servername: 'cache.example.com' };
    const line = await failsOpenWithOneLine(server.url, tls);
    expect(line).toMatch(/failed \(ERR_TLS_CERT_ALTNAME_INVALID\)/);
    expect(line).toMatch(/set redis\.tls\.servername/);
  });
});
