import { isObservable, Observable } from 'rxjs';
import { isPromiseLike } from '../utils/maybe-promise.js';

/**
 * rxjs `isObservable`, but `false` for a value whose properties cannot be read (a Proxy that
 * throws): a method result is handed back as it is, never made to throw by looking at it.
 */
export function isObservableValue(value: unknown): value is Observable<unknown> {
  try {
    return isObservable(value);
  } catch {
    return false;
  }
}

/** What a method returns: known from its declaration, or learned from its first call. */
export type MethodKind = 'sync' | 'promise' | 'observable' | 'unknown';

const AsyncFunction = (async () => undefined).constructor;

/** Declared return types that are certainly not a promise or an Observable. */
const SYNC_TYPES: readonly unknown[] = [
  Number,
  String,
  Boolean,
  BigInt,
  Symbol,
  Array,
  Map,
  Set,
  Date,
  RegExp,
];

/**
 * What a method returns, from its declaration: an `async` method or a declared `Promise<…>`
 * answers a promise, a declared `Observable<…>` an Observable, a declared primitive, array, Map,
 * Set or Date a plain value. Anything else (no annotation, `any`, a union, an interface, a class)
 * is unknown until the first call.
 */
export function declaredKind(prototype: object, methodName: string, method: unknown): MethodKind {
  if (method instanceof AsyncFunction) return 'promise';
  const type: unknown = Reflect.getMetadata('design:returntype', prototype, methodName);
  if (type === Promise) return 'promise';
  if (type === Observable) return 'observable';
  if (SYNC_TYPES.includes(type)) return 'sync';
  return 'unknown';
}

export function observedKind(result: unknown): MethodKind {
  if (isObservableValue(result)) return 'observable';
  if (isPromiseLike(result)) return 'promise';
  return 'sync';
}
