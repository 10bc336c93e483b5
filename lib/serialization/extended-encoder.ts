import { CacheError } from '../errors.js';
import { BINARY_TYPES, binaryTypeOf } from './binary-types.js';
import { EXTENDED_MARK, type Annotation, type AnnotationTree } from './extended-annotation.js';
import { setOwn } from './own-property.js';
import { className, formatPath, mapEntryStep, type PathStep } from './value-path.js';

/**
 * The stored text of any value the cache keeps: JSON text when it holds only JSON types, else
 * `X{"json":…,"meta":…}`: the value as JSON (a Date as its ISO string, a Map as its entries…)
 * with the types of the parts JSON cannot say beside it. Throws a `CacheError`
 * (`E_CACHE_UNSERIALIZABLE`) naming the part, where it is and what to change, for a class
 * instance, a function, a symbol or a cycle.
 */
export function encodeExtended(value: unknown): string {
  const encoder = new ExtendedEncoder();
  const json = encoder.encode(value);
  const meta = encoder.annotation;
  return meta === undefined ? JSON.stringify(json) : EXTENDED_MARK + JSON.stringify({ json, meta });
}

class ExtendedEncoder {
  /** The annotation of the value `encode` last returned. */
  annotation: Annotation | undefined;
  private readonly path: PathStep[] = [];
  private readonly ancestors = new Set<object>();

  encode(value: unknown): unknown {
    this.annotation = undefined;
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value;
      case 'number':
        return this.number(value);
      case 'bigint':
        this.annotation = 'bigint';
        return value.toString();
      case 'undefined':
        this.annotation = 'undefined';
        return null;
      case 'object':
        return value === null ? null : this.object(value);
      default:
        throw this.refuse(`A ${typeof value}`, 'leave it out of the cached value.');
    }
  }

  private number(value: number): unknown {
    if (value - value === 0 && (value !== 0 || 1 / value > 0)) return value;
    this.annotation = 'number';
    return Object.is(value, -0) ? '-0' : String(value);
  }

  private object(value: object): unknown {
    const prototype = Object.getPrototypeOf(value) as object | null;
    if (prototype === Object.prototype || prototype === null) return this.record(value);
    if (prototype === Array.prototype) return this.list(value as unknown[]);
    if (prototype === Date.prototype) return this.date(value as Date);
    if (prototype === Map.prototype) return this.map(value as Map<unknown, unknown>);
    if (prototype === Set.prototype) return this.set(value as Set<unknown>);
    if (prototype === RegExp.prototype) {
      this.annotation = 'RegExp';
      return String(value);
    }
    const binary = binaryTypeOf(prototype);
    if (binary === undefined) throw this.classInstance(value);
    this.annotation = binary;
    return BINARY_TYPES.get(binary)!
      .bytesOf(value as ArrayBuffer)
      .toString('base64');
  }

  private date(value: Date): string | null {
    this.annotation = 'Date';
    return Number.isNaN(value.getTime()) ? null : value.toISOString();
  }

  private record(value: object): Record<string, unknown> {
    this.enter(value);
    const json: Record<string, unknown> = {};
    let children: AnnotationTree | undefined;
    for (const key of Object.keys(value)) {
      this.path.push(key);
      const encoded = this.encode((value as Record<string, unknown>)[key]);
      this.path.pop();
      setOwn(json, key, encoded);
      if (this.annotation !== undefined) setOwn((children ??= {}), key, this.annotation);
    }
    this.leave(value, children);
    return json;
  }

  private list(value: unknown[]): unknown[] {
    this.enter(value);
    const json = new Array<unknown>(value.length);
    let children: AnnotationTree | undefined;
    for (let i = 0; i < value.length; i++) {
      this.path.push(i);
      json[i] = this.encode(value[i]);
      this.path.pop();
      if (this.annotation !== undefined) (children ??= {})[i] = this.annotation;
    }
    this.leave(value, children);
    return json;
  }

  private map(value: Map<unknown, unknown>): unknown[] {
    this.enter(value);
    const json: unknown[] = [];
    let children: AnnotationTree | undefined;
    for (const [key, item] of value) {
      const index = json.length;
      this.path.push({ text: `.keys()[${index}]` });
      const encodedKey = this.encode(key);
      const keyAnnotation = this.annotation;
      this.path.pop();
      this.path.push(mapEntryStep(key));
      const encodedItem = this.encode(item);
      this.path.pop();
      json.push([encodedKey, encodedItem]);
      if (keyAnnotation !== undefined || this.annotation !== undefined) {
        const entry: AnnotationTree = {};
        if (keyAnnotation !== undefined) entry[0] = keyAnnotation;
        if (this.annotation !== undefined) entry[1] = this.annotation;
        (children ??= {})[index] = entry;
      }
    }
    this.leave(value, children);
    this.annotation = children ? ['Map', children] : 'Map';
    return json;
  }

  private set(value: Set<unknown>): unknown[] {
    this.enter(value);
    const json: unknown[] = [];
    let children: AnnotationTree | undefined;
    for (const item of value) {
      const index = json.length;
      this.path.push({ text: `.values()[${index}]` });
      json.push(this.encode(item));
      this.path.pop();
      if (this.annotation !== undefined) (children ??= {})[index] = this.annotation;
    }
    this.leave(value, children);
    this.annotation = children ? ['Set', children] : 'Set';
    return json;
  }

  private enter(value: object): void {
    if (this.ancestors.has(value)) {
      throw this.refuse(
        'A reference back to a value that contains it (a cycle)',
        'return a tree of data without cycles.',
      );
    }
    this.ancestors.add(value);
  }

  private leave(value: object, children: AnnotationTree | undefined): void {
    this.ancestors.delete(value);
    this.annotation = children;
  }

  private classInstance(value: object): CacheError {
    const name = className(value);
    const { length } = this.path;
    const topLevel = length === 0 || (length === 1 && typeof this.path[0] === 'number');
    return this.refuse(
      `A class instance (${name})`,
      topLevel
        ? `add \`type: ${name}\` to the decorator or getOrSet() options (\`type: [${name}]\` for an array of them), or return plain data.`
        : `\`type\` restores only the value itself or the elements of an array value; return plain data here (an object of its fields).`,
    );
  }

  private refuse(what: string, fix: string): CacheError {
    return new CacheError(
      'E_CACHE_UNSERIALIZABLE',
      `${what} at ${formatPath(this.path)} cannot be cached: ${fix}`,
    );
  }
}
