import type { INestApplication, Provider } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { tracingChannel } from 'node:diagnostics_channel';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CacheClient,
  CacheInterceptor,
  CacheModule,
  getCacheToken,
  type CacheModuleOptions,
} from '../../lib/index.js';
import {
  cacheChannelName,
  type CacheOperationContext,
} from '../../lib/observability/cache-channels.js';
import { freshPrefix, patient, type BackendFixture, type BackendSpec } from './cache-app.js';
import {
  CachedController,
  DocsController,
  HandlerRuns,
  PagesController,
  PlainController,
} from './http-cache-controllers.js';

/** An HTTP app with a default cache and one named 'pages', both on the backend under test. */
export async function startHttpApp(
  options: CacheModuleOptions,
  providers: Provider[] = [],
): Promise<INestApplication> {
  const module = await Test.createTestingModule({
    imports: [
      CacheModule.forRoot(options),
      CacheModule.forRoot({ ...options, name: 'pages', keyPrefix: `${options.keyPrefix}pages:` }),
    ],
    controllers: [CachedController, PlainController, PagesController, DocsController],
    providers: [HandlerRuns, ...providers],
  }).compile();
  const app = module.createNestApplication({ logger: false });
  await app.init();
  return app;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const pick = <T extends object, K extends keyof T>(source: T, keys: K[]) =>
  Object.fromEntries(keys.map((key) => [key, source[key]]));

/** The errors published on the `getOrSet` channel (what OpenTelemetry and Prometheus count). */
function listenForOperationErrors() {
  const channel = tracingChannel<object, CacheOperationContext>(cacheChannelName('getOrSet'));
  const seen: unknown[] = [];
  const ignore = () => undefined;
  const handlers = {
    start: ignore,
    end: ignore,
    asyncStart: ignore,
    asyncEnd: ignore,
    error: (context: CacheOperationContext) => void seen.push(context.error),
  };
  channel.subscribe(handlers);
  return { seen, stop: () => channel.unsubscribe(handlers) };
}

/** CacheInterceptor, @CacheKey, @CacheTTL and @CacheVary over real HTTP, on one backend. */
export function describeHttpCache(spec: BackendSpec) {
  describe(`CacheInterceptor (${spec.name})`, () => {
    let fixture: BackendFixture;
    let app: INestApplication;
    let runs: HandlerRuns;
    const get = (path: string) => request(app.getHttpServer()).get(path);

    beforeAll(async () => {
      fixture = await spec.setup();
    });
    afterAll(() => fixture.teardown());

    describe('on a controller, next to one without it', () => {
      beforeEach(async () => {
        app = await startHttpApp(patient(fixture.options(freshPrefix())));
        runs = app.get(HandlerRuns);
      });
      afterEach(() => app.close());

      it('answers a repeated GET from the cache, keyed by URL: X-Cache MISS, then HIT', async () => {
        const first = await get('/cached/items?page=1').expect(200);
        const second = await get('/cached/items?page=1').expect(200);
        const otherPage = await get('/cached/items?page=2').expect(200);
        expect(first.headers['x-cache']).toBe('MISS');
        expect(second.headers['x-cache']).toBe('HIT');
        expect(second.body).toEqual(first.body);
        expect(otherPage.headers['x-cache']).toBe('MISS');
        expect(otherPage.body).toEqual({ page: '2', run: 2 });
        expect(runs.of('items')).toBe(2);
      });

      it('keeps the entry under the request URL in the default cache', async () => {
        const { body } = await get('/cached/items?page=3').expect(200);
        expect(await app.get(CacheClient).get('/cached/items?page=3')).toEqual(body);
      });

      it('counts each handler in stats().methods, as Controller.handler', async () => {
        await get('/cached/items?page=4').expect(200);
        await get('/cached/items?page=4').expect(200);
        runs.failing = true;
        await get('/cached/flaky').expect(404);
        expect(app.get(CacheClient).stats().methods).toMatchObject({
          'CachedController.items': { hits: 1, misses: 1, loads: 1, errors: 0 },
          'CachedController.flaky': { loads: 1, errors: 1 },
        });
      });

      it('leaves a controller without the interceptor uncached and without X-Cache', async () => {
        await get('/plain/items').expect(200);
        const second = await get('/plain/items').expect(200);
        expect(second.body).toEqual({ run: 2 });
        expect(second.headers['x-cache']).toBeUndefined();
      });

      it('lets a POST through: the handler runs every time, no X-Cache', async () => {
        await request(app.getHttpServer()).post('/cached/items').expect(201);
        const second = await request(app.getHttpServer()).post('/cached/items').expect(201);
        expect(second.body).toEqual({ run: 2 });
        expect(second.headers['x-cache']).toBeUndefined();
      });

      it('@CacheKey(string) keeps the response under that key', async () => {
        const first = await get('/cached/fixed').expect(200);
        const second = await get('/cached/fixed').expect(200);
        expect(second.headers['x-cache']).toBe('HIT');
        expect(second.body).toEqual(first.body);
        expect(await app.get(CacheClient).get('all-items')).toEqual({
          run: 1,
          at: new Date(0),
        });
      });

      it('@CacheKey(context => key) computes the key from the request', async () => {
        await get('/cached/computed-key').set('x-user', 'ann').expect(200);
        const ann = await get('/cached/computed-key').set('x-user', 'ann').expect(200);
        const bob = await get('/cached/computed-key').set('x-user', 'bob').expect(200);
        expect(ann.headers['x-cache']).toBe('HIT');
        expect(bob.headers['x-cache']).toBe('MISS');
        expect(await app.get(CacheClient).has('by-user:bob')).toBe(true);
      });

      it("@CacheTTL on a handler wins over the controller's: the entry expires after it", async () => {
        await get('/cached/short').expect(200);
        expect((await get('/cached/short')).headers['x-cache']).toBe('HIT');
        await pause(450);
        const later = await get('/cached/short').expect(200);
        expect(later.headers['x-cache']).toBe('MISS');
        expect(later.body).toEqual({ run: 2 });
        // The controller's @CacheTTL('1h') still holds for the other handlers.
        await get('/cached/items?page=9');
        await pause(450);
        expect((await get('/cached/items?page=9')).headers['x-cache']).toBe('HIT');
      });

      it('@CacheTTL(context => ttl) computes the TTL per request', async () => {
        await get('/cached/computed-ttl').expect(200);
        expect((await get('/cached/computed-ttl')).headers['x-cache']).toBe('HIT');
        await pause(450);
        expect((await get('/cached/computed-ttl')).headers['x-cache']).toBe('MISS');
      });

      it('@CacheVary(header) keeps one response per value of the header', async () => {
        const fr = await get('/cached/greeting').set('Accept-Language', 'fr').expect(200);
        const en = await get('/cached/greeting').set('Accept-Language', 'en').expect(200);
        const frAgain = await get('/cached/greeting').set('Accept-Language', 'fr').expect(200);
        expect([fr.headers['x-cache'], en.headers['x-cache']]).toEqual(['MISS', 'MISS']);
        expect(frAgain.headers['x-cache']).toBe('HIT');
        expect(frAgain.body).toEqual({ greeting: 'bonjour', run: 1 });
        expect(en.body).toEqual({ greeting: 'hello', run: 2 });
        expect(await app.get(CacheClient).has('/cached/greeting|accept-language=fr')).toBe(true);
      });

      it('@CacheVary(context => user) keeps one response per user', async () => {
        await get('/cached/profile').set('x-user', 'ann').expect(200);
        const bob = await get('/cached/profile').set('x-user', 'bob').expect(200);
        const ann = await get('/cached/profile').set('x-user', 'ann').expect(200);
        expect(bob.body).toEqual({ user: 'bob', run: 2 });
        expect(ann.body).toEqual({ user: 'ann', run: 1 });
        expect(ann.headers['x-cache']).toBe('HIT');
      });

      it("passes the handler's error to the client untouched and caches nothing", async () => {
        runs.failing = true;
        const failed = await get('/cached/flaky').expect(404);
        expect(failed.body.message).toBe('the source is gone');
        expect(failed.headers['x-cache']).toBeUndefined();
        runs.failing = false;
        const next = await get('/cached/flaky').expect(200);
        expect(next.headers['x-cache']).toBe('MISS');
        expect(await app.get(CacheClient).has('/cached/flaky')).toBe(true);
      });

      it('runs the handler once for concurrent requests of one URL', async () => {
        const answers = await Promise.all(Array.from({ length: 5 }, () => get('/cached/slow')));
        expect(runs.of('slow')).toBe(1);
        for (const answer of answers) expect(answer.body).toEqual({ run: 1 });
        expect(answers.map((answer) => answer.headers['x-cache'])).toContain('MISS');
      });

      it("caches the value of a handler's Observable", async () => {
        await get('/cached/observable').expect(200);
        const second = await get('/cached/observable').expect(200);
        expect(second.headers['x-cache']).toBe('HIT');
        expect(second.body).toEqual({ run: 1 });
      });

      it('does not cache an empty response (undefined or null): a miss each time, not an error', async () => {
        for (const path of ['/cached/nothing', '/cached/null']) {
          await get(path).expect(200);
          const second = await get(path).expect(200);
          expect(second.headers['x-cache']).toBe('MISS');
          expect(second.text).toBe('');
        }
        expect([runs.of('nothing'), runs.of('null')]).toEqual([2, 2]);
        const stats = app.get(CacheClient).stats();
        expect(stats.errors).toBe(0);
        expect(stats.methods['CachedController.nothing']).toMatchObject({ misses: 2, errors: 0 });
      });

      it('leaves a @Res() handler alone: its own body every time, no cache read or write, no stats', async () => {
        const client = app.get(CacheClient);
        await get('/cached/items?page=5').expect(200);
        const before = client.stats();
        const first = await get('/cached/own-response').expect(200);
        const second = await get('/cached/own-response').expect(200);
        expect([first.body, second.body]).toEqual([{ run: 1 }, { run: 2 }]);
        expect(second.headers['x-cache']).toBeUndefined();
        const after = client.stats();
        expect(pick(after, ['hits', 'misses', 'sets', 'errors'])).toEqual(
          pick(before, ['hits', 'misses', 'sets', 'errors']),
        );
        expect(after.errors).toBe(0);
        expect(Object.keys(after.methods)).toEqual(['CachedController.items']);
        expect(await client.has('/cached/own-response')).toBe(false);
      });

      it('caches a @Res({ passthrough: true }) handler as any other', async () => {
        const first = await get('/cached/passthrough').expect(200);
        const second = await get('/cached/passthrough').expect(200);
        expect(first.headers['x-own']).toBe('yes');
        expect(second.headers['x-cache']).toBe('HIT');
        expect(second.body).toEqual({ run: 1 });
        expect(runs.of('passthrough')).toBe(1);
      });

      it('sends a StreamableFile as is, stores nothing, counts a miss and no error', async () => {
        const errors = listenForOperationErrors();
        try {
          const first = await get('/cached/file').expect(200);
          const second = await get('/cached/file').expect(200);
          expect([first.body.toString(), second.body.toString()]).toEqual([
            'file, run 1',
            'file, run 2',
          ]);
          expect([first.headers['x-cache'], second.headers['x-cache']]).toEqual(['MISS', 'MISS']);
        } finally {
          errors.stop();
        }
        const client = app.get(CacheClient);
        expect(await client.has('/cached/file')).toBe(false);
        expect(client.stats().errors).toBe(0);
        expect(client.stats().methods['CachedController.file']).toMatchObject({
          hits: 0,
          misses: 2,
          errors: 0,
          loads: 2,
        });
        expect(errors.seen).toEqual([]);
      });

      it('sends a Readable as is and stores nothing', async () => {
        const first = await get('/cached/readable').expect(200);
        const second = await get('/cached/readable').expect(200);
        expect([first.text, second.text]).toEqual(['chunk, run 1', 'chunk, run 2']);
        expect(second.headers['x-cache']).toBe('MISS');
        expect(await app.get(CacheClient).has('/cached/readable')).toBe(false);
        expect(app.get(CacheClient).stats().errors).toBe(0);
      });

      it('runs the handler of each concurrent request whose response is a stream', async () => {
        const answers = await Promise.all(
          Array.from({ length: 3 }, () => get('/cached/slow-file')),
        );
        const bodies = answers.map((answer) => answer.body.toString()).sort();
        expect(bodies).toEqual(['file, run 1', 'file, run 2', 'file, run 3']);
        expect(answers.map((answer) => answer.headers['x-cache'])).toEqual([
          'MISS',
          'MISS',
          'MISS',
        ]);
        expect(app.get(CacheClient).stats().errors).toBe(0);
      });

      it('caches a Buffer: the hit is sent as the miss was', async () => {
        const first = await get('/cached/bytes').expect(200);
        const second = await get('/cached/bytes').expect(200);
        expect(second.headers['x-cache']).toBe('HIT');
        expect(second.body).toEqual(first.body);
        expect(runs.of('bytes')).toBe(1);
      });

      it("uses the named cache of the controller's @CacheConfig({ cache })", async () => {
        const { body } = await get('/pages/home').expect(200);
        expect((await get('/pages/home')).headers['x-cache']).toBe('HIT');
        expect(await app.get<CacheClient>(getCacheToken('pages')).get('/pages/home')).toEqual(body);
        expect(await app.get(CacheClient).has('/pages/home')).toBe(false);
      });

      it('uses the named cache of CacheInterceptor.with({ cache })', async () => {
        const { body } = await get('/docs/intro').expect(200);
        expect((await get('/docs/intro')).headers['x-cache']).toBe('HIT');
        expect(await app.get<CacheClient>(getCacheToken('pages')).get('/docs/intro')).toEqual(body);
        expect(await app.get(CacheClient).has('/docs/intro')).toBe(false);
      });
    });

    describe('as a global interceptor (APP_INTERCEPTOR)', () => {
      beforeEach(async () => {
        app = await startHttpApp(patient(fixture.options(freshPrefix())), [
          { provide: APP_INTERCEPTOR, useClass: CacheInterceptor },
        ]);
        runs = app.get(HandlerRuns);
      });
      afterEach(() => app.close());

      it('caches the GET handlers of every controller', async () => {
        await get('/plain/items').expect(200);
        const second = await get('/plain/items').expect(200);
        expect(second.headers['x-cache']).toBe('HIT');
        expect(runs.of('plain')).toBe(1);
      });
    });

    describe('with grace', () => {
      beforeEach(async () => {
        app = await startHttpApp(patient({ ...fixture.options(freshPrefix()), grace: '1h' }));
        runs = app.get(HandlerRuns);
      });
      afterEach(() => app.close());

      it('answers with the stale response and X-Cache: STALE when the handler fails after the TTL', async () => {
        const first = await get('/cached/flaky').expect(200);
        await pause(450);
        runs.failing = true;
        const stale = await get('/cached/flaky').expect(200);
        expect(stale.headers['x-cache']).toBe('STALE');
        expect(stale.body).toEqual(first.body);
      });
    });
  });
}
