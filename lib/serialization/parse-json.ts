const PROTO_KEY = '__proto__';

/**
 * `JSON.parse` for entries read back from a store, which anyone who reached the server may have
 * written: an object key `__proto__` is dropped. `JSON.parse` makes it an own property, harmless
 * itself, but a consumer's `Object.assign({}, value)` or spread-and-merge would then swap its
 * target's prototype. Only a text holding `__proto__`, or a `\u` escape that could spell it, is
 * walked; the walk uses no recursion, so a deeply nested value cannot overflow the stack.
 */
export function parseJson(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (text.includes(PROTO_KEY) || text.includes('\\u')) dropProtoKeys(value);
  return value;
}

function dropProtoKeys(root: unknown): void {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const node = pending.pop();
    if (typeof node !== 'object' || node === null) continue;
    if (Array.isArray(node)) {
      for (const item of node) pending.push(item);
      continue;
    }
    const record = node as Record<string, unknown>;
    if (Object.hasOwn(record, PROTO_KEY)) delete record[PROTO_KEY];
    for (const key of Object.keys(record)) pending.push(record[key]);
  }
}
