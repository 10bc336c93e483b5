import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cacheable, CacheClient, CacheModule, type CacheModuleOptions } from '../../lib/index.js';
import { makeProfile, type Profile } from './payload.js';

/** A provider as a user writes one: each method body stands for a database call. */
@Injectable()
export class ProfileService {
  loads = 0;
  private readonly blobs = new Map<number, Profile>();

  @Cacheable({ key: (id: number) => `profile:${id}`, ttl: 300 })
  async findOne(id: number): Promise<Profile> {
    this.loads++;
    return makeProfile(id);
  }

  /** `clone: false`: every hit hands out the one deep-frozen object. */
  @Cacheable({ key: (id: number) => `frozen:${id}`, ttl: 300, clone: false })
  async findOneFrozen(id: number): Promise<Profile> {
    this.loads++;
    return makeProfile(id);
  }

  @Cacheable({ key: (id: number, bytes: number) => `blob:${bytes}:${id}`, ttl: 300 })
  async findBlob(id: number, bytes: number): Promise<Profile> {
    this.loads++;
    let blob = this.blobs.get(bytes);
    if (!blob) this.blobs.set(bytes, (blob = makeProfile(0, bytes)));
    return { ...blob, id };
  }

  /** Cache-aside with a loader that answers at once (the miss-then-set scenario). */
  @Cacheable({ key: (key: string) => key, ttl: 60 })
  async fresh(key: string): Promise<Profile> {
    this.loads++;
    return makeProfile(key.length);
  }

  /** A slow loader (50 ms), for the stampede. */
  @Cacheable({ key: (key: string) => key, ttl: 60 })
  async slow(_key: string): Promise<Profile> {
    this.loads++;
    await sleep(50);
    return makeProfile(1);
  }
}

export interface OurApp {
  service: ProfileService;
  client: CacheClient;
  close(): Promise<void>;
}

/** A Nest application context with `CacheModule.forRoot(options)` and the decorated provider. */
export async function startOurApp(options: CacheModuleOptions): Promise<OurApp> {
  @Module({ imports: [CacheModule.forRoot(options)], providers: [ProfileService] })
  class BenchModule {}
  const app: INestApplicationContext = await NestFactory.createApplicationContext(BenchModule, {
    logger: false,
  });
  return {
    service: app.get(ProfileService),
    client: app.get(CacheClient),
    close: () => app.close(),
  };
}
