import { BINARY_TYPES } from './binary-types.js';
import type { Annotation, AnnotationTree } from './extended-annotation.js';
import { setOwn } from './own-property.js';
import { parseJson } from './parse-json.js';

const NUMBERS = new Set(['NaN', 'Infinity', '-Infinity', '-0']);

/**
 * The value of an extended-form text (after its mark): the JSON with each annotated part turned
 * back into its type. Throws for text that is not in that form; an annotation only ever replaces
 * an own property of the parsed JSON, so damaged or hostile text cannot reach any prototype.
 */
export function decodeExtended(text: string): unknown {
  const parsed = parseJson(text);
  if (!isRecord(parsed) || !Object.hasOwn(parsed, 'json') || parsed.meta === undefined) {
    throw new TypeError('not an extended-form value');
  }
  return revive(parsed.json, parsed.meta as Annotation);
}

function revive(json: unknown, annotation: Annotation): unknown {
  if (typeof annotation === 'string') return reviveType(json, annotation);
  if (Array.isArray(annotation)) {
    const [type, children] = annotation;
    if (type !== 'Map' && type !== 'Set') throw invalid();
    return reviveType(reviveChildren(json, children), type);
  }
  return reviveChildren(json, annotation);
}

function reviveChildren(json: unknown, children: AnnotationTree): unknown {
  if (typeof json !== 'object' || json === null || !isRecord(children)) throw invalid();
  for (const key of Object.keys(children)) {
    if (!Object.hasOwn(json, key)) throw invalid();
    const record = json as Record<string, unknown>;
    setOwn(record, key, revive(record[key], children[key]));
  }
  return json;
}

function reviveType(json: unknown, type: string): unknown {
  switch (type) {
    case 'undefined':
      if (json !== null) throw invalid();
      return undefined;
    case 'number':
      if (typeof json !== 'string' || !NUMBERS.has(json)) throw invalid();
      return Number(json);
    case 'bigint':
      return BigInt(text(json));
    case 'Date':
      return new Date(json === null ? NaN : text(json));
    case 'RegExp':
      return regExp(text(json));
    case 'Map':
      return new Map(list(json) as [unknown, unknown][]);
    case 'Set':
      return new Set(list(json));
    default:
      return binary(json, type);
  }
}

function regExp(source: string): RegExp {
  const end = source.lastIndexOf('/');
  if (source[0] !== '/' || end < 1) throw invalid();
  return new RegExp(source.slice(1, end), source.slice(end + 1));
}

function binary(json: unknown, type: string): unknown {
  const binaryType = BINARY_TYPES.get(type);
  if (!binaryType) throw invalid();
  return binaryType.fromBytes(Buffer.from(text(json), 'base64'));
}

function text(json: unknown): string {
  if (typeof json !== 'string') throw invalid();
  return json;
}

function list(json: unknown): unknown[] {
  if (!Array.isArray(json)) throw invalid();
  return json;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(): TypeError {
  return new TypeError('damaged extended-form annotation');
}
