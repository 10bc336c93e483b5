/**
 * Sets `target[key]` as an own data property. A plain assignment to `__proto__` would change the
 * prototype instead; `JSON.parse` makes such a key an own property, and so does this.
 */
export function setOwn(target: object, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    (target as Record<string, unknown>)[key] = value;
  }
}
