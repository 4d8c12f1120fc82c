import { createHash } from 'node:crypto';
import type pg from 'pg';

const names = new Map<string, string>();

/**
 * A query under a name derived from its text: node-postgres then has PostgreSQL parse and plan it once per connection
 * instead of on every call (an unnamed query is parsed, analysed and planned each time). Only for statements whose
 * texts are a bounded set (fixed per store, table and shape), never for text that carries values: every connection
 * keeps each statement it prepared until it closes.
 */
export const prepared = (text: string, values?: readonly unknown[]): pg.QueryConfig => {
  let name = names.get(text);
  if (name === undefined) {
    name = `commerce_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return values === undefined ? { name, text } : { name, text, values: [...values] };
};
