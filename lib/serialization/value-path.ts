/** One step into a value: an object key, an array index, or an already written step. */
export type PathStep = string | number | { readonly text: string };

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Where a part sits in a value, for messages: `(root)`, `.user.roles[2]`, `["a b"]`. */
export function formatPath(steps: readonly PathStep[]): string {
  if (steps.length === 0) return '(root)';
  return steps.map(formatStep).join('');
}

function formatStep(step: PathStep): string {
  if (typeof step === 'number') return `[${step}]`;
  if (typeof step === 'object') return step.text;
  return IDENTIFIER.test(step) ? `.${step}` : `[${JSON.stringify(step)}]`;
}

/** `.get(key)` for a Map entry, with the key written when it is a primitive. */
export function mapEntryStep(key: unknown): PathStep {
  const shown =
    typeof key === 'string'
      ? JSON.stringify(key)
      : typeof key === 'object' || typeof key === 'function'
        ? '…'
        : String(key);
  return { text: `.get(${shown})` };
}

/** The name of a value's class, for messages. */
export function className(value: object): string {
  const constructor = (value as { constructor?: unknown }).constructor;
  return typeof constructor === 'function' && constructor.name
    ? constructor.name
    : 'object with a custom prototype';
}
