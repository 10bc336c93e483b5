import { Injectable, Logger } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Test, type TestingModule } from '@nestjs/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Cacheable, CacheClient, CacheEvict, CacheModule } from '../../lib/index.js';
import {
  Loads,
  ReportBuilder,
  RequestCatalog,
  UsersRepository,
} from '../support/real-app-services.js';

const modules: TestingModule[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(modules.splice(0).map((module) => module.close()));
});

async function startApp(providers: unknown[] = [Loads, RequestCatalog]) {
  const module = await Test.createTestingModule({
    imports: [CacheModule.forRoot()],
    providers: providers as never[],
  }).compile();
  modules.push(module);
  await module.init();
  return module;
}

async function requestScoped(module: TestingModule): Promise<RequestCatalog> {
  return module.resolve(RequestCatalog, { id: Math.random() });
}

describe('interception with several apps in one process', () => {
  it('places request-scoped instances in their own app, through what they hold', async () => {
    const [a, b] = [await startApp(), await startApp()];
    await (await requestScoped(a)).find(1);
    await (await requestScoped(a)).find(1);
    await (await requestScoped(b)).find(1);
    expect(a.get(Loads).count('RequestCatalog.find')).toBe(1);
    expect(b.get(Loads).count('RequestCatalog.find')).toBe(1);
    expect(await a.get(CacheClient).get('request-catalog:1')).toBe('item 1');
    expect(await b.get(CacheClient).get('request-catalog:1')).toBe('item 1');
  });

  it('runs an instance no app can be told from uncached, and says so once', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const [a] = [await startApp(), await startApp()];
    const builder = await a.get(ModuleRef).create(ReportBuilder);
    const runs = ReportBuilder.runs;
    await builder.build('2026-10');
    await builder.build('2026-10');
    expect(ReportBuilder.runs - runs).toBe(2);
    const messages = warn.mock.calls.map(([message]) => String(message));
    expect(messages.filter((message) => message.includes('ReportBuilder'))).toHaveLength(1);
  });

  it('uses the only app with a cache for an instance made outside Nest', async () => {
    await startApp();
    const runs = ReportBuilder.runs;
    const builder = new ReportBuilder();
    await builder.build('2026-09');
    await builder.build('2026-09');
    expect(ReportBuilder.runs - runs).toBe(1);
  });

  it("runs a closed app's singleton uncached, even while another app provides its class", async () => {
    const [a, b] = await Promise.all([
      startApp([Loads, UsersRepository]),
      startApp([Loads, UsersRepository]),
    ]);
    const closedUsers = b.get(UsersRepository);
    await b.close();
    modules.splice(modules.indexOf(b), 1);
    await closedUsers.findById(1);
    expect(await closedUsers.findById(1)).toEqual({ id: 1, kind: 'user' });
    expect(b.get(Loads).count('UsersRepository.findById')).toBe(2);
    const { sets, hits, misses } = a.get(CacheClient).stats();
    expect({ sets, hits, misses }).toEqual({ sets: 0, hits: 0, misses: 0 });
  });

  it('runs the methods of a closed app uncached', async () => {
    const module = await startApp();
    await module.close();
    modules.splice(0);
    const runs = ReportBuilder.runs;
    const builder = new ReportBuilder();
    await builder.build('2026-08');
    await builder.build('2026-08');
    expect(ReportBuilder.runs - runs).toBe(2);
  });
});

describe('CacheModule imported twice', () => {
  it('refuses two default caches in one app, saying how to fix it', async () => {
    const compiling = Test.createTestingModule({
      imports: [CacheModule.forRoot(), CacheModule.forRoot({ keyPrefix: 'feature:' })],
    }).compile();
    await expect(compiling).rejects.toThrow(/"name": "default".*give each CacheModule/);
  });
});

@Injectable()
class Counter {
  runs = 0;
  @Cacheable({ key: 'count' })
  count(): number {
    return ++this.runs;
  }
}

const fail = (): never => {
  throw new Error('option callback failed');
};

@Injectable()
class ThrowingSync {
  runs = 0;
  @Cacheable({ key: fail })
  badKey(): number {
    return ++this.runs;
  }

  @Cacheable({ key: 'sync-unless', unless: fail })
  badUnless(): number {
    return ++this.runs;
  }

  @CacheEvict({ keys: fail })
  badEvict(): string {
    return 'evicted';
  }
}

describe('a synchronous cached method', () => {
  it('stays synchronous on the memory store', async () => {
    const module = await startApp([Counter]);
    const counter = module.get(Counter);
    expect(counter.count()).toBe(1);
    expect(counter.count()).toBe(1);
  });

  it('returns its own result, synchronously, whatever an option callback throws', async () => {
    const module = await startApp([ThrowingSync]);
    const service = module.get(ThrowingSync);
    expect(service.badKey()).toBe(1);
    expect(service.badUnless()).toBe(2);
    expect(service.badUnless()).toBe(3);
    expect(service.badEvict()).toBe('evicted');
    expect(module.get(CacheClient).stats().errors).toBe(4);
  });
});

/** Node's collector, for a test that checks what is kept alive (no `--expose-gc` needed). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('what interception keeps alive', () => {
  it('lets a request-scoped instance go once its request is over, after a hit and after a miss', async () => {
    const module = await startApp();
    // In a function of its own, so that no register of this test still holds an instance.
    const findOnce = async () => {
      const catalog = await requestScoped(module);
      expect(await catalog.find(1)).toBe('item 1');
      return new WeakRef(catalog);
    };
    const refs = [await findOnce(), await findOnce()];
    expect(module.get(Loads).count('RequestCatalog.find')).toBe(1);
    // A WeakRef's target stays alive until the job that last read it is over.
    await new Promise((resolve) => setTimeout(resolve, 0));
    collectGarbage();
    expect(refs.map((ref) => ref.deref())).toEqual([undefined, undefined]);
  });
});

describe('what interception keeps alive after an app closes', () => {
  it('lets every closed app go, its providers and its cache, after its decorated methods ran', async () => {
    // In a function of its own, so that no register of this test still holds an app.
    const runAndClose = async () => {
      const module = await Test.createTestingModule({
        imports: [CacheModule.forRoot()],
        providers: [Loads, UsersRepository],
      }).compile();
      await module.init();
      const users = module.get(UsersRepository);
      await users.findById(1);
      expect(await users.findById(1)).toEqual({ id: 1, kind: 'user' });
      expect(module.get(Loads).count('UsersRepository.findById')).toBe(1);
      const refs = [new WeakRef<object>(users), new WeakRef<object>(module.get(CacheClient))];
      await module.close();
      return refs;
    };
    const refs = [...(await runAndClose()), ...(await runAndClose()), ...(await runAndClose())];
    await new Promise((resolve) => setTimeout(resolve, 0));
    collectGarbage();
    expect(refs.map((ref) => ref.deref())).toEqual(refs.map(() => undefined));
  });
});
