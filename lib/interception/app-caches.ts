import { Logger } from '@nestjs/common';
import type { CacheCallTarget } from './cache-call-target.js';

/**
 * The caches of one Nest application, by name. Every `CacheModule` instance of the app registers
 * its cache here; a decorated method finds the cache it names through the app its instance
 * belongs to, so two apps in one process never use each other's caches.
 */
export class AppCaches {
  private readonly caches = new Map<string, CacheCallTarget>();
  private registrations = 0;

  /** `client` is what the app injects for this cache; `target` how decorated calls reach it. */
  register(name: string, client: object, target: CacheCallTarget): void {
    if (this.caches.has(name)) throw new DuplicateCacheError(name);
    this.caches.set(name, target);
    this.registrations++;
    targetsApp.set(client, this);
    liveApps.add(this);
  }

  /** A cache module of this app closed; once every one has, the app no longer claims instances. */
  release(): void {
    if (--this.registrations <= 0) liveApps.delete(this);
  }

  get(name: string): CacheCallTarget | undefined {
    return this.caches.get(name);
  }

  names(): string[] {
    return [...this.caches.keys()];
  }
}

export class DuplicateCacheError extends Error {
  constructor(readonly cacheName: string) {
    super(`two caches are named '${cacheName}'`);
  }
}

const appOfContainer = new WeakMap<object, AppCaches>();
const appOfInstance = new WeakMap<object, AppCaches>();
const appsOfClass = new WeakMap<object, Set<AppCaches>>();
const targetsApp = new WeakMap<object, AppCaches>();
const liveApps = new Set<AppCaches>();
const logger = new Logger('CacheModule');
const warned = new WeakSet<object>();

/** The caches of the app that owns `container` (Nest's `ModulesContainer`, one per app). */
export function appCachesOf(container: object): AppCaches {
  let app = appOfContainer.get(container);
  if (!app) appOfContainer.set(container, (app = new AppCaches()));
  return app;
}

/** An instance Nest's discovery found in `app` (a singleton, or a transient made at startup). */
export function bindInstance(instance: object, app: AppCaches): void {
  if (!appOfInstance.has(instance)) appOfInstance.set(instance, app);
}

/** A class `app` provides (whatever its scope): its unseen instances most likely belong there. */
export function claimClass(type: object, app: AppCaches): void {
  let apps = appsOfClass.get(type);
  if (!apps) appsOfClass.set(type, (apps = new Set()));
  apps.add(app);
}

/**
 * The app an instance belongs to. Singletons are bound at startup. Instances made later
 * (request-scoped, `moduleRef.create()`/`resolve()`, lazily loaded modules) are placed, in this
 * order: the one live app that provides their class; the only live app with a cache; the app of
 * an object they hold (an injected dependency or cache client). The answer is remembered.
 */
export function appOf(instance: object): AppCaches | undefined {
  const bound = appOfInstance.get(instance);
  if (bound) return bound;
  const found = appOfClass(instance) ?? onlyLiveApp() ?? appOfDependency(instance);
  if (found) appOfInstance.set(instance, found);
  else warnUnbound(instance);
  return found;
}

/** The one live app that provides the instance's class (or, failing that, its nearest parent). */
function appOfClass(instance: object): AppCaches | undefined {
  let type: unknown = instance.constructor;
  while (typeof type === 'function' && type !== Function.prototype) {
    const apps = appsOfClass.get(type);
    if (apps) {
      const live = [...apps].filter((app) => liveApps.has(app));
      if (live.length > 0) return live.length === 1 ? live[0] : undefined;
    }
    type = Object.getPrototypeOf(type);
  }
  return undefined;
}

function onlyLiveApp(): AppCaches | undefined {
  return liveApps.size === 1 ? liveApps.values().next().value : undefined;
}

function appOfDependency(instance: object): AppCaches | undefined {
  for (const value of Object.values(instance)) {
    if (typeof value !== 'object' || value === null) continue;
    const app = appOfInstance.get(value) ?? targetsApp.get(value);
    if (app && liveApps.has(app)) return app;
  }
  return undefined;
}

function warnUnbound(instance: object): void {
  const type = instance.constructor;
  if (liveApps.size === 0 || warned.has(type)) return;
  warned.add(type);
  logger.warn(
    `An instance of ${type.name} could not be matched to one of the ${liveApps.size} Nest apps with a CacheModule in this process: its cache decorators run the methods uncached. Register ${type.name} as a provider of the app that uses it.`,
  );
}
