import { CacheOptionsError } from '../errors.js';

/** An option's value as read from the user's object. */
export type OptionBag = Record<string, unknown>;

/** The error for `option`: its value shown without secrets, and `fix`. */
export function optionError(option: string, value: unknown, fix: string): CacheOptionsError {
  const shownValue = /password$/i.test(option) ? `*** (${typeof value})` : shown(value);
  return new CacheOptionsError(option, shownValue, fix);
}

/** `value` as an object of options (not null, not an array, not a class instance). */
export function section(option: string, value: unknown, example: string): OptionBag {
  if (isPlainObject(value)) return value;
  throw optionError(option, value, `Use an object such as ${example}.`);
}

/** Any non-null object that is not an array (ioredis and Node TLS options may be built by hand). */
export function anyObject(option: string, value: unknown, fix: string): object {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value;
  throw optionError(option, value, fix);
}

export function positiveNumber(option: string, value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  throw optionError(option, value, 'Use a number greater than 0.');
}

export function wholeNumber(
  option: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (Number.isInteger(value) && (value as number) >= min && (value as number) <= max)
    return value as number;
  const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
  throw optionError(option, value, `Use a whole number ${range}.`);
}

export function port(option: string, value: unknown): number {
  return wholeNumber(option, value, 1, 65535);
}

export function text(option: string, value: unknown, { allowEmpty = false } = {}): string {
  if (typeof value === 'string' && (allowEmpty || value.length > 0)) return value;
  throw optionError(option, value, allowEmpty ? 'Use a string.' : 'Use a non-empty string.');
}

export function flag(option: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  throw optionError(option, value, 'Use true or false.');
}

/** `bag` without its `undefined` fields, so that they do not hide a default. */
export function definedOnly(bag: OptionBag): OptionBag {
  return Object.fromEntries(Object.entries(bag).filter(([, value]) => value !== undefined));
}

/** Refuses any of `others` given beside `key` in `bag` (at `path`), saying `why`. */
export function refuseBeside(
  path: string,
  bag: OptionBag,
  key: string,
  others: readonly string[],
  why: string,
): void {
  if (bag[key] === undefined) return;
  const other = others.find((candidate) => bag[candidate] !== undefined);
  if (other === undefined) return;
  throw optionError(`${path}.${other}`, bag[other], `Not with ${path}.${key}: ${why}`);
}

/** `//user:password@` in a URL becomes `//user:***@`: a message must not carry a password. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:@/]*):[^@/]*@/, '$1:***@');
}

/** A value fit for a message: passwords masked, URL credentials cut, class instances named. */
function shown(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactUrl(value);
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => shown(item, depth + 1));
  if (!isPlainObject(value)) return `[${value.constructor?.name ?? 'object'}]`;
  if (depth > 2) return '{…}';
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      /password$/i.test(key) ? '***' : shown(item, depth + 1),
    ]),
  );
}

function isPlainObject(value: unknown): value is OptionBag {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
