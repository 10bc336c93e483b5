/** A field check: an error message, or `undefined` when the value is fine. */
type FieldCheck = (value: unknown) => string | undefined;

interface Issue {
  message: string;
  path?: readonly PropertyKey[];
}

type Result<T> = { value: T; issues?: undefined } | { issues: readonly Issue[] };

/** A Standard Schema (v1) validator, as Nest's `StandardSchemaValidationPipe` expects. */
export interface ObjectSchema<T> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => Result<T>;
  };
}

const FIELDS: Record<string, FieldCheck> = {
  name: (value) =>
    typeof value === 'string' && value.trim().length > 0 && value.length <= 100
      ? undefined
      : 'must be a non-empty string of at most 100 characters',
  price: (value) =>
    typeof value === 'number' && Number.isFinite(value) && value >= 0
      ? undefined
      : 'must be a number >= 0',
  stock: (value) =>
    Number.isSafeInteger(value) && (value as number) >= 0 ? undefined : 'must be an integer >= 0',
};

/**
 * A schema for a product body: no unknown fields, each known field valid, and every field present
 * when `required`, at least one otherwise.
 */
export function productSchema<T>(required: boolean): ObjectSchema<T> {
  return {
    '~standard': {
      version: 1,
      vendor: 'sample-app',
      validate: (value) => {
        const issues = productIssues(value, required);
        return issues.length ? { issues } : { value: pickFields(value) as T };
      },
    },
  };
}

function productIssues(value: unknown, required: boolean): Issue[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [{ message: 'the body must be a JSON object' }];
  }
  const body = value as Record<string, unknown>;
  const issues: Issue[] = Object.keys(body)
    .filter((key) => !(key in FIELDS))
    .map((key) => ({ message: 'is not a product field', path: [key] }));
  for (const [key, check] of Object.entries(FIELDS)) {
    const message = fieldIssue(body[key], check, required);
    if (message) issues.push({ message, path: [key] });
  }
  if (!required && !Object.keys(FIELDS).some((key) => body[key] !== undefined)) {
    issues.push({ message: `give at least one of ${Object.keys(FIELDS).join(', ')}` });
  }
  return issues;
}

function fieldIssue(value: unknown, check: FieldCheck, required: boolean): string | undefined {
  if (value === undefined) return required ? 'is required' : undefined;
  return check(value);
}

function pickFields(value: unknown): Record<string, unknown> {
  const body = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(FIELDS).flatMap((key) => (body[key] === undefined ? [] : [[key, body[key]]])),
  );
}
