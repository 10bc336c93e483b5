import { cloneJson } from './clone-json.js';

export type Copier = (value: unknown) => unknown;

/** Shapes compiled at most, per process: past it, new shapes are copied by `cloneJson`. */
const MAX_SHAPES = 1000;
/** Keys in one compiled copier, and how deep it goes; past them, `cloneJson` takes over. */
const MAX_KEYS = 64;
const MAX_DEPTH = 4;

/** Compiled copiers by the code that makes them (the code is the shape: keys and nesting). */
const copiers = new Map<string, Copier>();
/** Cleared when the process forbids generating code from strings. */
let canCompile = true;

/**
 * A copier for plain JSON data of `value`'s shape: a function that builds the copy as one object
 * literal (`{ "id": v["id"], "roles": cloneJson(v["roles"]) … }`) instead of walking
 * `Object.keys`, about ten times faster on a typical record; one per shape, shared by every entry
 * of that shape. Only for a value that never changes shape (a decoded entry held by the memory
 * store or L1): it reads exactly the keys `value` has now. Arrays, deep or wide parts, and
 * anything holding a `__proto__` key are left to `cloneJson`. Keys enter the code only as JSON
 * string literals, so no key can inject code.
 */
export function copierFor(value: unknown): Copier {
  if (!canCompile || typeof value !== 'object' || value === null || Array.isArray(value)) {
    return cloneJson;
  }
  const budget = { keys: 0 };
  const code = literal(value as Record<string, unknown>, 'v', 0, budget);
  if (code === undefined) return cloneJson;
  let copier = copiers.get(code);
  if (copier) return copier;
  if (copiers.size >= MAX_SHAPES) return cloneJson;
  try {
    copier = new Function('cloneJson', `return function copy(v) { return ${code}; };`)(
      cloneJson,
    ) as Copier;
  } catch (error) {
    // `node --disallow-code-generation-from-strings` (or a policy like it): copy without compiling.
    if (!(error instanceof EvalError)) throw error;
    canCompile = false;
    return cloneJson;
  }
  copiers.set(code, copier);
  return copier;
}

/** The object literal that copies `source` at `path`; `undefined` if it must not be compiled. */
function literal(
  source: Record<string, unknown>,
  path: string,
  depth: number,
  budget: { keys: number },
): string | undefined {
  const keys = Object.keys(source);
  if (keys.includes('__proto__')) return undefined;
  budget.keys += keys.length;
  if (budget.keys > MAX_KEYS) return undefined;
  const fields: string[] = [];
  for (const key of keys) {
    const name = JSON.stringify(key);
    const inner = part(source[key], `${path}[${name}]`, depth + 1, budget);
    if (inner === undefined) return undefined;
    fields.push(`${name}: ${inner}`);
  }
  return `{ ${fields.join(', ')} }`;
}

function part(
  value: unknown,
  path: string,
  depth: number,
  budget: { keys: number },
): string | undefined {
  if (typeof value !== 'object' || value === null) return path;
  if (Array.isArray(value) || depth >= MAX_DEPTH) return `cloneJson(${path})`;
  return literal(value as Record<string, unknown>, path, depth, budget);
}
