import { interceptMethod } from '../interception/intercepted-method.js';
import type { Observable } from 'rxjs';

/** What a method may return when its results are `R`: `R`, or a promise or an Observable of it. */
type Yielding<R> = R | PromiseLike<R> | Observable<R>;

/** Accepts a method that has at least the parameters the option functions take. */
type HasParameters<F, A extends unknown[]> = F extends (...args: infer P) => unknown
  ? P extends [...A, ...unknown[]]
    ? unknown
    : { 'the option functions take more parameters than the method has': A }
  : never;

/**
 * A method decorator whose option functions take the method's leading arguments and, for
 * `unless`, its result: a key function `(id: number) => …` on a method `find(id: string)`, a key
 * function with more parameters than the method, or `unless: (user: User) => …` on a method that
 * returns `Promise<Order>` fails to compile.
 */
export type ArgsDecorator<A extends unknown[], R = unknown> = <
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  F extends (...args: [...A, ...any[]]) => Yielding<R>,
>(
  target: object,
  propertyKey: string | symbol,
  descriptor: TypedPropertyDescriptor<F> & HasParameters<F, A>,
) => void;

/**
 * Records a decorator's options on the method. The first cache decorator of a method also puts
 * the interception in place (see `interceptMethod`): that is what lets every instance of the
 * class, however Nest or the app creates it, go through the cache.
 */
export function recordMetadata<A extends unknown[], R = unknown>(
  metadataKey: string,
  options: object,
  { append = false } = {},
): ArgsDecorator<A, R> {
  return (target, propertyKey, descriptor) => {
    if (typeof descriptor.value !== 'function') {
      throw new TypeError(`${metadataKey} applies to methods only (${String(propertyKey)})`);
    }
    const method = interceptMethod(target, propertyKey, descriptor);
    const recorded = append
      ? [...(Reflect.getOwnMetadata(metadataKey, method) ?? []), options]
      : options;
    Reflect.defineMetadata(metadataKey, recorded, method);
  };
}
