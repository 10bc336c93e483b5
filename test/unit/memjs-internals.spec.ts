import { Logger } from '@nestjs/common';
import memjs, { type Response, type Server } from 'memjs';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** Fresh modules for each test, so that the once-per-process warning can be seen again. */
const load = () => import('../../lib/stores/memcached/memjs-internals.js');

const silent = { log: () => undefined };

/** A client of two servers of class `ServerClass`. */
function clientOf(
  ServerClass: typeof memjs.Server,
  ClientClass: new (servers: Server[], options: object) => memjs.Client = memjs.Client,
) {
  const servers = [new ServerClass('127.0.0.1', 1), new ServerClass('127.0.0.1', 2)];
  return new ClientClass(servers, { logger: silent });
}

/** A memjs `Server` class with `change` applied to its prototype (memjs's own is untouched). */
function doctoredServer(change: (prototype: Record<string, unknown>) => void) {
  class Doctored extends memjs.Server {}
  change(Doctored.prototype as unknown as Record<string, unknown>);
  return Doctored;
}

describe('memjs internals guard', () => {
  let warn: ReturnType<typeof vi.spyOn>;
  beforeEach(() => {
    vi.resetModules();
    warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  it("passes memjs's own classes and a client made by memjs.Client.create, and logs nothing", async () => {
    const { checkMemjs } = await load();
    expect(checkMemjs()).toEqual({ server: true, serverSelection: true });
    const client = memjs.Client.create('127.0.0.1:1,127.0.0.1:2', { logger: silent });
    expect(checkMemjs(client)).toEqual({ server: true, serverSelection: true });
    expect(warn).not.toHaveBeenCalled();
  });

  it('fails a Server without a method it relies on, with one warning naming memjs, the versions and what is lost', async () => {
    const { checkMemjs, MEMJS_TESTED_VERSION } = await load();
    const NoSasl = doctoredServer((prototype) => (prototype.listSasl = undefined));
    expect(checkMemjs(clientOf(NoSasl))).toEqual({ server: false, serverSelection: true });
    expect(checkMemjs(clientOf(NoSasl))).toEqual({ server: false, serverSelection: true });
    expect(warn).toHaveBeenCalledTimes(1);
    const message = String(warn.mock.calls[0][0]);
    expect(message).toContain(`memjs ${MEMJS_TESTED_VERSION} is installed`);
    expect(message).toContain(`tested with memjs ${MEMJS_TESTED_VERSION}`);
    expect(message).toMatch(/no listSasl\(\)/);
    expect(message).toMatch(/lost: the repaired connection class/);
    expect(message).toMatch(/still held to commandTimeout/);
  });

  it('fails a Server that keeps its request deadlines elsewhere', async () => {
    const { checkMemjs } = await load();
    class Renamed extends memjs.Server {
      constructor(...args: ConstructorParameters<typeof memjs.Server>) {
        super(...args);
        const state = this as unknown as Record<string, unknown>;
        state.deadlines = state.requestTimeouts;
        delete state.requestTimeouts;
      }
    }
    expect(checkMemjs(clientOf(Renamed)).server).toBe(false);
    expect(String(warn.mock.calls[0][0])).toMatch(/keeps its socket, buffers, callbacks/);
  });

  it('fails a Server that drops a quiet callback at its first answer (multi-get would lose keys)', async () => {
    const { checkMemjs } = await load();
    const Loud = doctoredServer((prototype) => {
      prototype.respond = function (this: Server, response: Response) {
        const callbacks = this.responseCallbacks as Record<number, (r: Response) => void>;
        callbacks[response.header.opaque]?.(response);
        delete callbacks[response.header.opaque];
      };
    });
    expect(checkMemjs(clientOf(Loud)).server).toBe(false);
    expect(String(warn.mock.calls[0][0])).toMatch(/does not answer quiet requests/);
  });

  it('fails a Client that no longer routes keys through getServer()', async () => {
    const { checkMemjs } = await load();
    class Modulo extends memjs.Client {}
    (Modulo.prototype as unknown as Record<string, unknown>).server = function (this: {
      servers: Server[];
    }) {
      return this.servers[0];
    };
    expect(checkMemjs(clientOf(memjs.Server, Modulo))).toEqual({
      server: true,
      serverSelection: false,
    });
    expect(String(warn.mock.calls[0][0])).toMatch(/lost: the ketama ring/);
  });

  it('recognises only the exact timeout messages of memjs 1.3.2', async () => {
    const { isMemjsTimeout } = await load();
    expect(isMemjsTimeout(new Error('socket timed out waiting on response.'))).toBe(true);
    expect(isMemjsTimeout(new Error('socket timed out connecting to server.'))).toBe(true);
    expect(isMemjsTimeout(new Error('connect ETIMEDOUT 10.0.0.1:11211'))).toBe(false);
    expect(isMemjsTimeout('socket timed out waiting on response.')).toBe(false);
  });

  it('recognises only the exact SASL failure of memjs 1.3.2, a string or an Error carrying it', async () => {
    const { isMemjsAuthFailure } = await load();
    expect(isMemjsAuthFailure('Memcached server authentication failed!')).toBe(true);
    expect(isMemjsAuthFailure(new Error('Memcached server authentication failed!'))).toBe(true);
    expect(isMemjsAuthFailure('Memcached server authentication failed')).toBe(false);
    expect(isMemjsAuthFailure(new Error('authentication failed'))).toBe(false);
    expect(isMemjsAuthFailure(undefined)).toBe(false);
  });

  it('is pinned: package.json names the exact memjs version installed and tested', async () => {
    const { MEMJS_TESTED_VERSION } = await load();
    const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const installed = JSON.parse(readFileSync('node_modules/memjs/package.json', 'utf8')) as {
      version: string;
    };
    expect(manifest.dependencies.memjs).toBe(MEMJS_TESTED_VERSION);
    expect(installed.version).toBe(MEMJS_TESTED_VERSION);
  });
});
