/**
 * What jsonb cannot hold, and how the PostgreSQL read store keeps it anyway. jsonb refuses NUL (`\u0000`) inside
 * strings and keys, and lone UTF-16 surrogates (JavaScript strings may hold both; SQLite and MongoDB store them).
 * A document that holds either is stored *escaped* (a flag column says so): in it, every string and key that holds
 * NUL, a lone surrogate, or starts with the marker U+E000 (a private-use character) is written as the marker followed
 * by the string with `%` → `%25`, NUL → `%00` and each lone surrogate → `%uXXXX`. Every other string of the document
 * is left as it is, so equality filters on ordinary strings match escaped documents too. Documents without such
 * characters (all of them, in practice) are stored unchanged and never walked.
 */

const MARKER = '\uE000';
const NEEDS_ESCAPE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const TO_ESCAPE = /[%\0]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const ESCAPED = /%(25|00|u[0-9A-F]{4})/g;
/** what JSON.stringify writes for NUL and for a lone surrogate (well-formed JSON.stringify, lowercase hex) */
const JSON_SUSPECT = /\\u0000|\\ud[89a-f]/;

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
};

/** True when a string cannot be stored in jsonb (or in a text column) as it is. */
export const unstorable = (value: string): boolean => NEEDS_ESCAPE.test(value);

/** Cheap first look at a JSON text: false means no string or key in it needs escaping (true may be a false alarm). */
export const mayNeedEscaping = (json: string): boolean => json.includes('\\u') && JSON_SUSPECT.test(json);

/** The string as an escaped document stores it. */
export const escapeString = (value: string): string =>
  NEEDS_ESCAPE.test(value) || value.startsWith(MARKER)
    ? MARKER +
      value.replace(TO_ESCAPE, (found) =>
        found === '%' ? '%25' : found === '\0' ? '%00' : `%u${found.charCodeAt(0).toString(16).toUpperCase()}`,
      )
    : value;

const unescapeString = (value: string): string =>
  value.startsWith(MARKER)
    ? value
        .slice(MARKER.length)
        .replace(ESCAPED, (_found, code: string) =>
          code === '25' ? '%' : code === '00' ? '\0' : String.fromCharCode(Number.parseInt(code.slice(1), 16)),
        )
    : value;

/** True when some string or key anywhere in the value holds NUL or a lone surrogate. */
export const needsEscaping = (value: unknown): boolean => {
  if (typeof value === 'string') return unstorable(value);
  if (Array.isArray(value)) return value.some(needsEscaping);
  if (!isPlainObject(value)) return false;
  return Object.entries(value).some(([key, item]) => unstorable(key) || needsEscaping(item));
};

const mapValue = (value: unknown, map: (text: string) => string): unknown => {
  if (typeof value === 'string') return map(value);
  if (Array.isArray(value)) return value.map((item: unknown) => mapValue(item, map));
  if (!isPlainObject(value)) return value;
  // Object.fromEntries keeps `__proto__` a plain key
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [map(key), mapValue(item, map)]));
};

export const escapeValue = (value: unknown): unknown => mapValue(value, escapeString);
export const unescapeValue = (value: unknown): unknown => mapValue(value, unescapeString);
