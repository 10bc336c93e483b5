/**
 * A method decorator whose option functions take the method's leading arguments: a key function
 * `(id: number) => …` on a method `find(id: string)` fails to compile.
 */
export type ArgsDecorator<A extends unknown[]> = <
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  F extends (...args: [...A, ...any[]]) => unknown,
>(
  target: object,
  propertyKey: string | symbol,
  descriptor: TypedPropertyDescriptor<F>,
) => void;

/** Decorators record metadata on the method and nothing else; the interception reads it. */
export function recordMetadata<A extends unknown[]>(
  metadataKey: string,
  options: object,
  { append = false } = {},
): ArgsDecorator<A> {
  return (target, propertyKey, descriptor) => {
    const method = descriptor.value;
    if (typeof method !== 'function') {
      throw new TypeError(`${metadataKey} applies to methods only (${String(propertyKey)})`);
    }
    const recorded = append
      ? [...(Reflect.getOwnMetadata(metadataKey, method) ?? []), options]
      : options;
    Reflect.defineMetadata(metadataKey, recorded, method);
  };
}
