import { Logger } from '@nestjs/common';
import type { ModulesContainer } from '@nestjs/core';
import type { CacheCallTarget } from './cache-call-target.js';

/**
 * The caches of one Nest application, by name. Every `CacheModule` instance of the app registers
 * its cache here; a decorated method finds the cache it names through the app its instance
 * belongs to, so two apps in one process never use each other's caches.
 */
export class AppCaches {
  private readonly caches = new Map<string, CacheCallTarget>();
  private registrations = 0;
  /** What keeps a plan of this app for its next calls: told to let go when the app stops. */
  private readonly holders = new Set<PlanHolder>();
  /** The classes this app claimed (`claim`), given back when it stops. */
  private readonly claimed = new Set<object>();
  /** The instances found at startup (`bind`), let go when it stops. */
  private readonly bound = new Set<object>();

  constructor(readonly modules: ModulesContainer) {}

  /** `client` is what the app injects for this cache; `target` how decorated calls reach it. */
  register(name: string, client: object, target: CacheCallTarget): void {
    if (this.caches.has(name)) throw new DuplicateCacheError(name);
    this.caches.set(name, target);
    this.registrations++;
    appOfClient.set(client, this);
    if (!liveApps.has(this)) appsChanged();
    liveApps.add(this);
  }

  /** A cache module of this app closed; once every one has, the app stops (`stop`). */
  release(): void {
    if (--this.registrations <= 0) this.stop();
  }

  /** The app failed to start: it claims no instance any more. */
  discard(): void {
    this.registrations = 0;
    this.stop();
  }

  /**
   * An instance Nest's discovery found in this app at startup (a singleton, a transient made
   * then, a value provided): it belongs here, and lives as long as the app.
   */
  bind(instance: object): void {
    if (!appOfInstance.has(instance)) appOfInstance.set(instance, this);
    this.bound.add(instance);
  }

  /**
   * Whether the instance was found in this app when it started (`bind`), and so lives as long as
   * the app; not one made later (request-scoped, `moduleRef.create()`).
   */
  madeAtStartup(instance: object): boolean {
    return this.bound.has(instance);
  }

  /** A class this app provides (whatever its scope): its instances made later belong here. */
  claim(type: object): void {
    let apps = appsOfClass.get(type);
    if (!apps) appsOfClass.set(type, (apps = new Set()));
    apps.add(this);
    this.claimed.add(type);
  }

  /** `holder` keeps a plan of this app: told to let it go when the app stops. */
  keptBy(holder: PlanHolder): void {
    this.holders.add(holder);
  }

  get(name: string): CacheCallTarget | undefined {
    return this.caches.get(name);
  }

  names(): string[] {
    return [...this.caches.keys()];
  }

  /** Stopped: nothing of the process keeps this app (its classes, plans, instances) any more. */
  private stop(): void {
    for (const holder of this.holders) holder.forget(this);
    this.holders.clear();
    for (const type of this.claimed) appsOfClass.get(type)?.delete(this);
    this.claimed.clear();
    // An instance may outlive its app (a value provided, such as the module's options, lives as
    // long as the module's metadata): it keeps no reference to the app, and runs uncached.
    for (const instance of this.bound) {
      if (appOfInstance.get(instance) === this) appOfInstance.set(instance, STOPPED);
    }
    this.bound.clear();
    if (liveApps.delete(this)) appsChanged();
  }

  /** Whether one of the app's modules provides this instance, or its class. */
  provides(instance: object): boolean {
    for (const module of this.modules.values()) {
      for (const wrapper of [...module.providers.values(), ...module.controllers.values()]) {
        if (wrapper.instance === instance || wrapper.metatype === instance.constructor) return true;
      }
    }
    return false;
  }
}

/** Keeps plans of apps (and instances of theirs) for the next calls: a decorated method. */
export interface PlanHolder {
  /** Lets go of what it keeps of `app`, which has stopped. */
  forget(app: AppCaches): void;
}

export class DuplicateCacheError extends Error {
  constructor(readonly cacheName: string) {
    super(`two caches are named '${cacheName}'`);
  }
}

const appOfContainer = new WeakMap<ModulesContainer, AppCaches>();
/** What an instance of an app that has stopped is bound to. */
const STOPPED = null;
const appOfInstance = new WeakMap<object, AppCaches | typeof STOPPED>();
const appsOfClass = new WeakMap<object, Set<AppCaches>>();
const appOfClient = new WeakMap<object, AppCaches>();
const liveApps = new Set<AppCaches>();
/** Counts changes of `liveApps`: an instance that could not be placed is not looked at again before one. */
let appsEpoch = 0;
const unplacedAt = new WeakMap<object, number>();

function appsChanged(): void {
  appsEpoch++;
}
const logger = new Logger('CacheModule');
const warned = new WeakSet<object>();

/** The caches of the app that owns `modules` (Nest's `ModulesContainer`, one per app). */
export function appCachesOf(modules: ModulesContainer): AppCaches {
  let app = appOfContainer.get(modules);
  if (!app) appOfContainer.set(modules, (app = new AppCaches(modules)));
  return app;
}

/**
 * The app an instance belongs to. Singletons and transients are bound at startup. An instance
 * made later (request-scoped, `moduleRef.create()`/`resolve()`, a lazily loaded module) goes to,
 * in this order: the one live app that provided its class at startup; the one live app whose
 * modules provide it or its class now (lazily loaded modules); the only live app with a cache;
 * the app of an object it holds (an injected dependency or cache client). The answer is
 * remembered. Undefined (and a warning, once per class) when none of these tells.
 */
export function appOf(instance: object): AppCaches | undefined {
  const bound = appOfInstance.get(instance);
  if (bound !== undefined) return bound ?? undefined;
  if (unplacedAt.get(instance) === appsEpoch) return undefined;
  const found =
    theOne(claimants(instance.constructor)) ??
    theOne([...liveApps].filter((app) => app.provides(instance))) ??
    theOne([...liveApps]) ??
    appOfDependency(instance);
  if (found) appOfInstance.set(instance, found);
  else {
    unplacedAt.set(instance, appsEpoch);
    warnUnplaced(instance);
  }
  return found;
}

/** The live apps that claimed the class, or failing that its nearest parent class. */
function claimants(type: unknown): AppCaches[] {
  while (typeof type === 'function' && type !== Function.prototype) {
    const live = [...(appsOfClass.get(type) ?? [])].filter((app) => liveApps.has(app));
    if (live.length > 0) return live;
    type = Object.getPrototypeOf(type);
  }
  return [];
}

function theOne(apps: AppCaches[]): AppCaches | undefined {
  return apps.length === 1 ? apps[0] : undefined;
}

function appOfDependency(instance: object): AppCaches | undefined {
  for (const value of Object.values(instance)) {
    if (typeof value !== 'object' || value === null) continue;
    const app = appOfInstance.get(value) ?? appOfClient.get(value);
    if (app && liveApps.has(app)) return app;
  }
  return undefined;
}

function warnUnplaced(instance: object): void {
  const type = instance.constructor;
  if (liveApps.size === 0 || warned.has(type)) return;
  warned.add(type);
  logger.warn(
    `An instance of ${type.name} could not be matched to one of the ${liveApps.size} Nest apps with a CacheModule in this process: its cache decorators run the methods uncached. Register ${type.name} as a provider of the app that uses it, or inject something of that app into it.`,
  );
}
