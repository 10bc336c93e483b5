import { concat, defer, from, Observable, of, switchMap } from 'rxjs';
import type { CacheableOptions } from '../interfaces/cache-decorator-options.interface.js';
import { isPromiseLike, type MaybePromise } from '../utils/maybe-promise.js';
import type { CachedCall } from './cache-advice.js';
import type { BoundOperation } from './method-plan.js';
import { isObservableValue } from './method-kind.js';

/**
 * The advice around a call of an Observable method, run when the caller subscribes:
 * evict-before → the cached value as a one-value Observable, or the method's Observable whose
 * last value is stored → evict-after.
 */
export function invokeObservable(call: CachedCall): Observable<unknown> {
  const { evictBefore } = call.plan;
  return concat(
    settled(() => call.evictAll(evictBefore)),
    defer(() => thenEvicting(call, cachedOrRun(call))),
  );
}

/** `source`, then the call's evict-after operations once it completes. */
export function thenEvicting(call: CachedCall, source: Observable<unknown>): Observable<unknown> {
  const { evictAfter } = call.plan;
  if (evictAfter.length === 0) return source;
  return concat(
    source,
    settled(() => call.evictAll(evictAfter)),
  );
}

function cachedOrRun(call: CachedCall): Observable<unknown> {
  const { cacheable, put } = call.plan;
  const operation: BoundOperation<CacheableOptions> | undefined = cacheable ?? put;
  const policy = operation && call.policyFor(operation);
  if (!operation || !policy) return asObservable(call.run());
  const runAndStore = () =>
    storingLast(asObservable(call.run()), (value) =>
      operation.target.write(policy.key, value, policy),
    );
  if (put) return runAndStore();
  const found = operation.target.read(policy.key, policy);
  return (isPromiseLike(found) ? from(found) : of(found)).pipe(
    switchMap((read) => (read.hit ? of(read.value) : runAndStore())),
  );
}

/**
 * Mirrors `source`; when it completes, stores its last value before completing. A caller that
 * stops listening after a value (`firstValueFrom`, `take(1)`) stops the source at the end of the
 * current microtask rather than at once, so that a source which completes right after its value
 * (`of(x)`, `HttpService`) is still cached; a source that never completes is still stopped.
 */
export function storingLast(
  source: Observable<unknown>,
  store: (value: unknown) => MaybePromise<unknown>,
): Observable<unknown> {
  return new Observable((subscriber) => {
    let last: { value: unknown } | undefined;
    let completed = false;
    const subscription = source.subscribe({
      next: (value) => {
        last = { value };
        subscriber.next(value);
      },
      error: (error) => subscriber.error(error),
      complete: () => {
        completed = true;
        if (!last) return subscriber.complete();
        afterwards(
          () => store(last!.value),
          () => subscriber.complete(),
        );
      },
    });
    return () => {
      if (completed || !last) subscription.unsubscribe();
      else queueMicrotask(() => subscription.unsubscribe());
    };
  });
}

/** Completes, without a value, once `work` has settled; never errors. */
function settled(work: () => MaybePromise<unknown>): Observable<never> {
  return new Observable<never>((subscriber) => afterwards(work, () => subscriber.complete()));
}

/** Runs `then` after `work`, however `work` ends (cache steps never fail the caller). */
function afterwards(work: () => MaybePromise<unknown>, then: () => void): void {
  let outcome: MaybePromise<unknown>;
  try {
    outcome = work();
  } catch {
    return then();
  }
  if (isPromiseLike(outcome)) outcome.then(then, then);
  else then();
}

function asObservable(value: unknown): Observable<unknown> {
  return isObservableValue(value) ? value : from(Promise.resolve(value));
}
