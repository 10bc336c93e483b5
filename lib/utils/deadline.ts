/**
 * `command`, or a rejection with `timedOut()` once `ms` have passed: one promise and one timer per
 * call, and the error is only made when the deadline passes. `mapError`, when given, turns a
 * rejection of `command` into the error to reject with.
 */
export function withDeadline<T>(
  command: PromiseLike<T>,
  ms: number,
  timedOut: () => Error,
  mapError?: (error: unknown) => unknown,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(timedOut()), ms);
    command.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(mapError ? mapError(error) : error);
      },
    );
  });
}
