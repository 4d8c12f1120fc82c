import * as t from 'io-ts';

/**
 * Constraints a branded primitive carries as data. The codec's check is built from them, and the HTTP layer
 * derives the published JSON Schema from the same object, so the OpenAPI document cannot promise more or less
 * than the server accepts.
 */
export interface StringConstraints {
  readonly type: 'string';
  /** tested with JavaScript semantics; keep it to syntax that reads the same in every JSON Schema engine */
  readonly pattern?: RegExp;
  /** counted in Unicode code points, as JSON Schema counts */
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly enum?: readonly string[];
  /** JSON Schema format the value also meets (the check itself must enforce it) */
  readonly format?: 'date-time';
  /** a check no keyword can express, e.g. that a calendar date exists; the format says it to readers */
  readonly also?: (s: string) => boolean;
}

export interface IntegerConstraints {
  readonly type: 'integer';
  readonly minimum: number;
  readonly maximum: number;
  /** values refused inside the range (e.g. 0 for a signed change) */
  readonly not?: readonly number[];
}

export type Constraints = StringConstraints | IntegerConstraints;

/** A codec that says what it accepts; the JSON Schema derivation reads `constraints`. */
export interface Constrained {
  readonly constraints: Constraints;
}

export const hasConstraints = (codec: unknown): codec is Constrained =>
  typeof codec === 'object' && codec !== null && 'constraints' in codec;

const codePoints = (s: string): number => {
  // a string iterates by code point, as JSON Schema counts; `length` would count UTF-16 units
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** Each enum as a set, made once: currency codes are checked on every stored event read. */
const enumSets = new WeakMap<readonly string[], ReadonlySet<string>>();
const enumSet = (values: readonly string[]): ReadonlySet<string> => {
  let set = enumSets.get(values);
  if (set === undefined) {
    set = new Set(values);
    enumSets.set(values, set);
  }
  return set;
};

export const meetsString = (s: string, c: StringConstraints): boolean => {
  if (c.pattern && !c.pattern.test(s)) return false;
  if (c.minLength !== undefined || c.maxLength !== undefined) {
    const length = codePoints(s);
    if (c.minLength !== undefined && length < c.minLength) return false;
    if (c.maxLength !== undefined && length > c.maxLength) return false;
  }
  if (c.enum && !enumSet(c.enum).has(s)) return false;
  return c.also ? c.also(s) : true;
};

export const meetsInteger = (n: number, c: IntegerConstraints): boolean =>
  Number.isSafeInteger(n) && n >= c.minimum && n <= c.maximum && !(c.not ?? []).includes(n);

/** A branded string whose check is its constraints. */
export const constrainedString = <N extends string, B extends { readonly [K in N]: symbol }>(
  name: N,
  constraints: Omit<StringConstraints, 'type'>,
): t.BrandC<t.StringC, B> & Constrained => {
  const c: StringConstraints = { type: 'string', ...constraints };
  return Object.assign(
    t.brand(t.string, (s): s is t.Branded<string, B> => meetsString(s, c), name),
    { constraints: c },
  );
};

/** A branded safe integer whose check is its constraints. */
export const constrainedInteger = <N extends string, B extends { readonly [K in N]: symbol }>(
  name: N,
  constraints: Omit<IntegerConstraints, 'type'>,
): t.BrandC<t.NumberC, B> & Constrained => {
  const c: IntegerConstraints = { type: 'integer', ...constraints };
  return Object.assign(
    t.brand(t.number, (n): n is t.Branded<number, B> => meetsInteger(n, c), name),
    { constraints: c },
  );
};

/**
 * Attaches constraints to a codec built another way (e.g. one that parses a query string into a number). It adds a
 * property to `codec`: pass a codec made for this purpose, never a shared one such as `t.string`.
 */
export const withConstraints = <C extends object>(codec: C, constraints: Constraints): C & Constrained =>
  Object.assign(codec, { constraints });

/**
 * Text that is not blank. The whitespace set is spelled out (it is exactly what `String.prototype.trim` removes)
 * because `\s` differs between JavaScript, Python and Rust regex engines.
 */
export const notBlank = /[^\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;

/** Largest integer a JSON number carries exactly in JavaScript. */
export const maxSafeInteger = Number.MAX_SAFE_INTEGER;
