import type * as t from 'io-ts';

/** Turns io-ts errors into `path: expected X, got Y` lines that name each bad field. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

interface Inspectable {
  readonly _tag?: unknown;
  readonly type?: unknown;
}

/** The combinator behind readonly/exact/refinement wrappers, which add no context entries of their own. */
const unwrappedTag = (decoder: t.Decoder<unknown, unknown>): string | undefined => {
  let current: Inspectable = decoder as Inspectable;
  for (let depth = 0; depth < 10; depth++) {
    const tag = typeof current._tag === 'string' ? current._tag : undefined;
    if (
      (tag === 'ReadonlyType' || tag === 'ExactType' || tag === 'RefinementType') &&
      typeof current.type === 'object' &&
      current.type !== null
    ) {
      current = current.type;
      continue;
    }
    return tag;
  }
  return undefined;
};

/** io-ts puts union/intersection member indexes in the context; they are not field names, so drop them. */
const pathOf = (context: t.Context): string => {
  const keys: string[] = [];
  context.forEach((entry, i) => {
    if (entry.key === '') return;
    const parent = context[i - 1];
    const parentTag = parent ? unwrappedTag(parent.type) : undefined;
    if (parentTag === 'UnionType' || parentTag === 'IntersectionType') return;
    keys.push(entry.key);
  });
  return keys.join('.');
};

const previewLength = 80;

// typed as it behaves: undefined for undefined, functions and symbols
const stringify = (value: unknown): string | undefined => JSON.stringify(value);

/**
 * The offending value as short JSON for an error message. Bounded: a hostile body can be deeply nested (where
 * `JSON.stringify` overflows the stack) or large, and the message must not echo it back whole.
 */
export const previewValue = (value: unknown): string => {
  let text: string | undefined;
  try {
    text = stringify(value);
  } catch {
    // a RangeError from nesting too deep for the stack (or a cycle, which decoded JSON never has)
    return Array.isArray(value) ? 'a deeply nested array' : `a deeply nested ${typeof value}`;
  }
  if (text === undefined) return String(value);
  return text.length > previewLength ? `${text.slice(0, previewLength)}… (${text.length} characters)` : text;
};

export const fieldErrors = (errors: t.Errors): FieldError[] => {
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = pathOf(error.context) || '(root)';
    const last = error.context[error.context.length - 1];
    const expected = last?.type.name ?? 'valid value';
    const message =
      error.message ??
      (error.value === undefined
        ? `is required (${expected})`
        : `expected ${expected}, got ${previewValue(error.value)}`);
    const key = `${field}|${message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ field, message });
    }
  }
  return out;
};

export const describeErrors = (errors: t.Errors): string =>
  fieldErrors(errors)
    .map((e) => `${e.field}: ${e.message}`)
    .join('; ');
