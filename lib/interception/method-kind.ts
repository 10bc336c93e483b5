import { isObservable, Observable } from 'rxjs';
import { isPromiseLike } from '../utils/maybe-promise.js';

export type MethodKind = 'sync' | 'promise' | 'observable' | 'unknown';

/** What a method returns, from its declared return type (`async`, `Promise<…>`, `Observable<…>`). */
export function declaredKind(prototype: object, methodName: string): MethodKind {
  const type: unknown = Reflect.getMetadata('design:returntype', prototype, methodName);
  if (type === Promise) return 'promise';
  if (type === Observable) return 'observable';
  return 'unknown';
}

export function observedKind(result: unknown): MethodKind {
  if (isObservable(result)) return 'observable';
  if (isPromiseLike(result)) return 'promise';
  return 'sync';
}
