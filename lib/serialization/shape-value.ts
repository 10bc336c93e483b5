import { deepFreeze, isFreezable } from './deep-freeze.js';
import { restoreType, type ValueType } from './value-type.js';

/**
 * A freshly decoded value, nobody else's, as a read asked for it: made instances of `type`, and
 * with `clone` false deep-frozen, unless it holds a part `Object.freeze` cannot make immutable
 * (then it stays a copy of its own, unfrozen).
 */
export function shapeDecoded(value: unknown, type: ValueType | undefined, clone: boolean): unknown {
  const shaped = type === undefined ? value : restoreType(value, type);
  return clone || !isFreezable(shaped) ? shaped : deepFreeze(shaped);
}
