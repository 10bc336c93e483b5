import type { OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { DiscoveryService, MetadataScanner, ModulesContainer } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import type { CacheClient } from '../cache-client.js';
import { CacheOptionsError } from '../errors.js';
import { appCachesOf, DuplicateCacheError, type AppCaches } from './app-caches.js';
import { asCallTarget } from './cache-call-target.js';
import { interceptedMethodOf, type InterceptedMethod } from './intercepted-method.js';

/**
 * Puts one cache of one app where decorated methods find it. Created with the cache, it registers
 * it under its name in the app's caches; when modules initialise, it binds the instances Nest
 * made to the app and claims their classes; when the app has started, it checks every decorated
 * method of the app's providers and controllers (a missing cache, a bad TTL or a synchronous
 * method on a remote cache stops the app with a message naming the method).
 */
export class CacheInterceptionService
  implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly app: AppCaches;

  constructor(
    name: string,
    client: CacheClient,
    modules: ModulesContainer,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {
    this.app = appCachesOf(modules);
    try {
      this.app.register(name, client, asCallTarget(client));
    } catch (error) {
      if (!(error instanceof DuplicateCacheError)) throw error;
      throw new CacheOptionsError(
        'name',
        name,
        'Another CacheModule of this app already serves a cache of that name: give each CacheModule.forRoot({ name }) its own name, or import one module (isGlobal: true) where several need it.',
      );
    }
  }

  /**
   * Binds every instance Nest made to this app (a decorated one is then served by it, and any
   * other tells which app the later instances that hold it belong to); claims decorated classes.
   */
  onModuleInit(): void {
    for (const wrapper of this.wrappers()) {
      for (const instance of instancesOf(wrapper)) this.app.bind(instance);
      const type = classOf(wrapper);
      if (type && this.decoratedMethods(type).length > 0) this.app.claim(type);
    }
  }

  /** Checks every decorated method of the app; a wrong one stops the app, which then claims nothing. */
  onApplicationBootstrap(): void {
    try {
      for (const wrapper of this.wrappers()) {
        const type = classOf(wrapper);
        if (!type) continue;
        for (const method of this.decoratedMethods(type)) method.planFor(type, this.app);
      }
    } catch (error) {
      this.app.discard();
      throw error;
    }
  }

  onApplicationShutdown(): void {
    this.app.release();
  }

  private wrappers(): InstanceWrapper[] {
    return [...this.discovery.getProviders(), ...this.discovery.getControllers()];
  }

  private decoratedMethods(type: { prototype?: object }): InterceptedMethod[] {
    const prototype = type.prototype;
    if (!prototype) return [];
    return this.scanner
      .getAllMethodNames(prototype)
      .flatMap((name) => interceptedMethodOf((prototype as Record<string, unknown>)[name]) ?? []);
  }
}

/** The class a provider or controller is an instance of (not a factory's or a value's). */
function classOf(wrapper: InstanceWrapper): { prototype?: object } | undefined {
  const instance: unknown = wrapper.instance;
  if (instance && typeof instance === 'object') return instance.constructor;
  return !wrapper.inject && typeof wrapper.metatype === 'function' ? wrapper.metatype : undefined;
}

/** The instances Nest made at startup: a singleton, or a transient provider's per consumer. */
function instancesOf(wrapper: InstanceWrapper): object[] {
  const made = wrapper.isTransient
    ? wrapper.getStaticTransientInstances().map((host) => host?.instance)
    : [wrapper.instance];
  return made.filter((instance): instance is object => !!instance && typeof instance === 'object');
}
