/**
 * `String.prototype.isWellFormed` (Node 20, not in the ES2022 typings): no lone UTF-16 surrogate,
 * so the text survives UTF-8, in which a lone surrogate becomes U+FFFD.
 */
export function isWellFormed(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}
