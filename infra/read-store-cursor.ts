import { InvalidCursorError, type Query } from '../ports/read-store';

/**
 * Page cursors shared by the read-store adapters: base64url of JSON `{ f?: sort field, d?: direction, v?: sort value
 * (null: missing), i: id }`. Both adapters page by keyset on (sort value, id), so one encoding serves both; each
 * adapter says which sort values it can bind, since only those may reach its query language.
 */

/** A validated cursor position: after this (sort value, id); `value` is null without an orderBy. */
export interface CursorPosition<Value> {
  readonly value: Value | null;
  readonly id: string;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const encodeCursor = <Value>(query: Query, position: CursorPosition<Value>): string => {
  const json =
    query.orderBy === undefined
      ? { i: position.id }
      : { f: query.orderBy.field, d: query.orderBy.direction, v: position.value, i: position.id };
  return Buffer.from(JSON.stringify(json), 'utf8').toString('base64url');
};

/** Throws InvalidCursorError for anything but a cursor this query's own pages could have produced. */
export const decodeCursor = <Value>(
  query: Query,
  cursor: string,
  isSortValue: (value: unknown) => value is Value,
): CursorPosition<Value> => {
  const invalid = (): InvalidCursorError => new InvalidCursorError(cursor);
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  const bytes = Buffer.from(cursor, 'base64url');
  // Node's decoder skips what it cannot read: a cursor is valid only if it is the canonical encoding of its bytes.
  if (bytes.toString('base64url') !== cursor) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!isObject(parsed) || typeof parsed.i !== 'string') throw invalid();
  const { orderBy } = query;
  if (orderBy === undefined) {
    if (Object.keys(parsed).length !== 1) throw invalid();
    return { value: null, id: parsed.i };
  }
  // A cursor from a page in another order would skip or repeat documents; only scalars reach a query operator.
  if (parsed.f !== orderBy.field || parsed.d !== orderBy.direction) throw invalid();
  const value = parsed.v;
  if (value !== null && !isSortValue(value)) throw invalid();
  return { value, id: parsed.i };
};
