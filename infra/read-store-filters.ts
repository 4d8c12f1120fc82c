import type { Scalar } from '../ports/read-store';

/**
 * What the read-store adapters share about a query's values: the kind of a filter value, the range operators the port
 * names (each adapter maps them to its own language), and the sort values a JSON document can hold.
 */

export type ScalarKind = 'string' | 'number' | 'boolean';

export const scalarKind = (value: Scalar): ScalarKind => {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number' && Number.isFinite(value)) return 'number';
  throw new TypeError(`a filter value must be a string, a finite number or a boolean, got ${String(value)}`);
};

export type RangeOperator = 'gt' | 'gte' | 'lt' | 'lte';

const rangeOperators: ReadonlySet<string> = new Set<RangeOperator>(['gt', 'gte', 'lt', 'lte']);

export const isRangeOperator = (key: string): key is RangeOperator => rangeOperators.has(key);

/** A sort value a JSON body can hold and a cursor can carry (null: the field is missing). */
export type JsonSortValue = string | number | boolean | null;

export const isJsonSortValue = (value: unknown): value is JsonSortValue =>
  value === null ||
  typeof value === 'string' ||
  typeof value === 'boolean' ||
  (typeof value === 'number' && Number.isFinite(value));
