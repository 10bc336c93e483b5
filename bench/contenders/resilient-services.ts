import { Injectable, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cacheable, CacheClient, CacheModule, type CacheModuleOptions } from '../../lib/index.js';
import { makeProfile, type Profile } from './payload.js';

/** How long every loader of the resilience scenarios takes, as a database call would. */
export const LOADER_MS = 50;

/** When one load started and ended (`performance.now()`), for telling callers that waited on it. */
export interface LoadSpan {
  start: number;
  end: number;
  /** A miss started it (not a refresh ahead of expiry): callers were held up by it. */
  onMiss: boolean;
}

/** The stampede's slow loader, with and without the distributed lock. */
@Injectable()
export class StampedeService {
  loads = 0;

  @Cacheable({ key: (key: string) => key, ttl: 60 })
  async local(_key: string): Promise<Profile> {
    return this.load();
  }

  @Cacheable({ key: (key: string) => key, ttl: 60, lock: 'distributed' })
  async distributed(_key: string): Promise<Profile> {
    return this.load();
  }

  private async load(): Promise<Profile> {
    this.loads++;
    await sleep(LOADER_MS);
    return makeProfile(1);
  }
}

/** One hot key per configuration; each load's span recorded by the method that ran it. */
@Injectable()
export class HotKeyService {
  readonly spans: Record<string, LoadSpan[]> = { plain: [], ahead: [], xfetch: [], none: [] };
  private missesSeen = 0;

  constructor(private readonly cache: CacheClient) {}

  /** A plain hit: the entry outlives the run. */
  @Cacheable({ key: 'hot:plain', ttl: 300 })
  async plain(): Promise<Profile> {
    return this.load('plain');
  }

  @Cacheable({ key: 'hot:ahead', ttl: 1, refreshAhead: 0.8 })
  async ahead(): Promise<Profile> {
    return this.load('ahead');
  }

  @Cacheable({ key: 'hot:xfetch', ttl: 1, refreshAhead: true })
  async xfetch(): Promise<Profile> {
    return this.load('xfetch');
  }

  @Cacheable({ key: 'hot:none', ttl: 1 })
  async none(): Promise<Profile> {
    return this.load('none');
  }

  /** A miss is counted before its load starts; a refresh ahead counts none. */
  private async load(name: string): Promise<Profile> {
    const start = performance.now();
    const { misses } = this.cache.stats();
    const onMiss = misses > this.missesSeen;
    this.missesSeen = misses;
    await sleep(LOADER_MS);
    this.spans[name].push({ start, end: performance.now(), onMiss });
    return makeProfile(1);
  }
}

export class SourceDownError extends Error {}

/** A source that answers version 1 of each record until `down` is set, then fails after its delay. */
@Injectable()
export class SourceDownService {
  down = false;
  /** When each loader call started (`performance.now()`), by key. */
  readonly calls: Record<string, number[]> = {};

  @Cacheable({ key: (id: number) => `down:grace:${id}`, ttl: 1, grace: '1h', graceRetry: 1 })
  async withGrace(id: number): Promise<Profile> {
    return this.load(`down:grace:${id}`, id);
  }

  @Cacheable({ key: (id: number) => `down:plain:${id}`, ttl: 1 })
  async withoutGrace(id: number): Promise<Profile> {
    return this.load(`down:plain:${id}`, id);
  }

  private async load(key: string, id: number): Promise<Profile> {
    (this.calls[key] ??= []).push(performance.now());
    await sleep(LOADER_MS);
    if (this.down) throw new SourceDownError(`the source of ${key} is down`);
    return makeProfile(id);
  }
}

export interface ResilientApp<T> {
  service: T;
  client: CacheClient;
  close(): Promise<void>;
}

/** A Nest application context with `CacheModule.forRoot(options)` and one decorated provider. */
export async function startResilientApp<T>(
  options: CacheModuleOptions,
  provider: Type<T>,
): Promise<ResilientApp<T>> {
  @Module({ imports: [CacheModule.forRoot(options)], providers: [provider] })
  class ResilienceBenchModule {}
  const app = await NestFactory.createApplicationContext(ResilienceBenchModule, { logger: false });
  return { service: app.get(provider), client: app.get(CacheClient), close: () => app.close() };
}
