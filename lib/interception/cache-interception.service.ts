import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { CacheClient } from '../cache-client.js';
import { DistributedCacheClient } from '../client/distributed-cache.client.js';
import { invokeWithCache } from './cache-advice.js';
import { readPlan } from './method-plan.js';

/** Which client serves each provider/controller instance; two apps in one process never mix. */
const clientOf = new WeakMap<object, DistributedCacheClient>();
const WRAPPED = Symbol('nestjs-distributed-cache:wrapped');

type Method = ((...args: unknown[]) => unknown) & { [WRAPPED]?: true };

/**
 * The one interception mechanism. Decorated methods are wrapped on their class prototype, so
 * `this.method()` calls and Nest's route handlers (which call the prototype method) both go
 * through the cache. Prototypes are wrapped while the app is being created, before routes are
 * registered; instances are bound to this module's client when modules initialise. An instance
 * bound to no client (another app without the module) runs the original method.
 */
@Injectable()
export class CacheInterceptionService implements OnModuleInit {
  private readonly logger = new Logger('CacheModule');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly client: CacheClient,
  ) {
    for (const wrapper of this.wrappers()) this.wrapClass(classOf(wrapper));
  }

  onModuleInit(): void {
    if (!(this.client instanceof DistributedCacheClient)) {
      this.logger.warn(
        'CacheClient was replaced by a custom class: cache decorators are inactive.',
      );
      return;
    }
    for (const wrapper of this.wrappers()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object') continue;
      const wrappedAny = this.wrapClass(instance.constructor);
      if (wrappedAny && !clientOf.has(instance)) clientOf.set(instance, this.client);
    }
  }

  private wrappers(): InstanceWrapper[] {
    return [...this.discovery.getProviders(), ...this.discovery.getControllers()];
  }

  /** Wraps every decorated method of a class once; answers whether it has any. */
  private wrapClass(type: unknown): boolean {
    if (typeof type !== 'function' || !type.prototype) return false;
    const prototype: object = type.prototype;
    let found = false;
    for (const name of this.scanner.getAllMethodNames(prototype)) {
      found = wrapMethod(prototype, name) || found;
    }
    return found;
  }
}

function wrapMethod(prototype: object, name: string): boolean {
  const owner = ownerOf(prototype, name);
  const original = (owner as Record<string, Method>)[name];
  if (original[WRAPPED]) return true;
  const plan = readPlan(owner, name, original);
  if (!plan) return false;
  const wrapped: Method = function (this: object, ...args: unknown[]) {
    const client = clientOf.get(this);
    const run = () => original.apply(this, args);
    return client ? invokeWithCache(plan, client, args, run) : run();
  };
  for (const key of Reflect.getOwnMetadataKeys(original)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, original), wrapped);
  }
  Object.defineProperty(wrapped, 'name', { value: original.name });
  wrapped[WRAPPED] = true;
  Object.defineProperty(owner, name, {
    ...Object.getOwnPropertyDescriptor(owner, name),
    value: wrapped,
  });
  return true;
}

/** The prototype in the chain that defines the method itself. */
function ownerOf(prototype: object, name: string): object {
  let current: object | null = prototype;
  while (current && !Object.prototype.hasOwnProperty.call(current, name)) {
    current = Object.getPrototypeOf(current);
  }
  return current ?? prototype;
}

function classOf(wrapper: InstanceWrapper): unknown {
  const instance: unknown = wrapper.instance;
  if (instance && typeof instance === 'object') return instance.constructor;
  return wrapper.inject ? undefined : wrapper.metatype;
}
