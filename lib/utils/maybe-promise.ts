/** A value now, or later. The memory store answers synchronously; remote stores answer with a Promise. */
export type MaybePromise<T> = T | Promise<T>;

/** Whether `value` has a `then` method; `false` for a value whose `then` cannot be read (a Proxy). */
export function isPromiseLike<T>(value: unknown): value is PromiseLike<T> {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  try {
    return typeof (value as PromiseLike<T>).then === 'function';
  } catch {
    return false;
  }
}

/**
 * Applies `onValue` to a value that may or may not be a promise, staying synchronous when it is not.
 * `onError` receives both a synchronous throw and a rejection.
 */
export function chain<T, R>(
  value: MaybePromise<T> | (() => MaybePromise<T>),
  onValue: (value: T) => MaybePromise<R>,
  onError?: (error: unknown) => MaybePromise<R>,
): MaybePromise<R> {
  let settled: MaybePromise<T>;
  try {
    settled = typeof value === 'function' ? (value as () => MaybePromise<T>)() : value;
  } catch (error) {
    if (onError) return onError(error);
    throw error;
  }
  if (isPromiseLike<T>(settled)) {
    return Promise.resolve(settled).then(onValue, onError);
  }
  if (!onError) return onValue(settled);
  try {
    const next = onValue(settled);
    return isPromiseLike<R>(next) ? Promise.resolve(next).catch(onError) : next;
  } catch (error) {
    return onError(error);
  }
}
