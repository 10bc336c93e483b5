import { isPromiseLike } from '../utils/maybe-promise.js';
import { isObservableValue } from './method-kind.js';

/** A method result that can be stored: not an Observable or a promise met where a value was due. */
export function storable(value: unknown): boolean {
  return !isObservableValue(value) && !isPromiseLike(value);
}
