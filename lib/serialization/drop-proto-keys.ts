const PROTO_KEY = '__proto__';

/**
 * Removes every own `__proto__` key from the objects reachable from `root`: what a serializer of
 * the user's decoded (the built-in ones drop such keys as they parse, see `parseJson`). A naive
 * `JSON.parse` makes `{"__proto__": …}` an own property, and a consumer's `Object.assign({}, value)`
 * would then swap its target's prototype. Follows own data properties (getters are not run), Map
 * keys and values and Set members; each object once (a decoded graph may have cycles); binary
 * views are skipped; no recursion. Throws when a key cannot be removed (a frozen object).
 */
export function dropOwnProtoKeys(root: unknown): void {
  const seen = new Set<object>();
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const node = pending.pop();
    if (typeof node !== 'object' || node === null || seen.has(node)) continue;
    if (ArrayBuffer.isView(node)) continue;
    seen.add(node);
    if (Object.hasOwn(node, PROTO_KEY) && !Reflect.deleteProperty(node, PROTO_KEY)) {
      throw new TypeError(`A decoded value holds a ${PROTO_KEY} key that cannot be removed.`);
    }
    pushChildren(node, pending);
  }
}

function pushChildren(node: object, pending: unknown[]): void {
  if (node instanceof Map) for (const [key, value] of node) pending.push(key, value);
  if (node instanceof Set) for (const member of node) pending.push(member);
  for (const key of Object.getOwnPropertyNames(node)) {
    const descriptor = Object.getOwnPropertyDescriptor(node, key);
    if (descriptor && 'value' in descriptor) pending.push(descriptor.value);
  }
}
