import type { INestApplication, Provider } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CacheClient,
  CacheInterceptor,
  CacheModule,
  getCacheToken,
  type CacheModuleOptions,
} from '../../lib/index.js';
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

      it('does not cache an empty response: the handler runs again', async () => {
        await get('/cached/nothing').expect(200);
        const second = await get('/cached/nothing').expect(200);
        expect(second.headers['x-cache']).toBeUndefined();
        expect(runs.of('nothing')).toBe(2);
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
