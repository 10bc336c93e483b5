import { Next, Res, StreamableFile } from '@nestjs/common';
import { RESPONSE_PASSTHROUGH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { Stream } from 'node:stream';

/**
 * The parameter types Nest records for `@Res()` and `@Next()`, read back from the decorators
 * themselves: Nest does not export its enum of them.
 */
const SELF_RESPONDING_PARAMS = paramTypesOf([Res(), Next()]);

/**
 * Whether the handler sends the response itself, as Nest's router decides it: it takes `@Res()`
 * or `@Next()`, without `@Res({ passthrough: true })`. What such a handler returns is not the
 * response.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export function respondsItself(type: Function, handler: Function): boolean {
  const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, type, handler.name) as object | undefined;
  const takesResponse = Object.keys(args ?? {}).some((key) =>
    SELF_RESPONDING_PARAMS.has(paramTypeOf(key)),
  );
  return takesResponse && !Reflect.getMetadata(RESPONSE_PASSTHROUGH_METADATA, type, handler.name);
}

/**
 * Whether a handler's result can be kept and sent again: not `undefined` or `null` (never served
 * from the cache by `@nestjs/cache-manager` either), nor a stream, which can be read only once (a
 * `StreamableFile`, a Node stream, an async iterable, a fetch `Response`). Buffers and other data
 * are: they come back from the cache as they were, and Nest sends them the same way.
 */
export function isStorableResponse(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'object') return true;
  return !(
    value instanceof StreamableFile ||
    value instanceof Stream ||
    value instanceof Response ||
    isAsyncIterable(value)
  );
}

/** As Nest streams it: a thenable (a query builder) stands for what it resolves to instead. */
function isAsyncIterable(value: object): boolean {
  return (
    typeof Reflect.get(value, Symbol.asyncIterator) === 'function' &&
    typeof Reflect.get(value, 'then') !== 'function'
  );
}

/** Route argument keys are `type:index` (`type` may be a custom decorator's id). */
function paramTypeOf(key: string): string {
  return key.slice(0, key.lastIndexOf(':'));
}

function paramTypesOf(decorators: readonly ParameterDecorator[]): Set<string> {
  class Probe {
    handler(): void {}
  }
  decorators.forEach((decorate, index) => decorate(Probe.prototype, 'handler', index));
  const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, Probe, 'handler') as object;
  return new Set(Object.keys(args).map(paramTypeOf));
}
