import { createHash } from 'node:crypto';
import { rethrowUnavailable, unavailableOr } from './pg-unavailable';
import { prepared } from './pg-prepared';
import pg from 'pg';
import {
  assertWrites,
  type DocumentWrite,
  type FieldFilter,
  type Page,
  type Progress,
  type PutResult,
  type Query,
  type ReadStore,
  type Scalar,
  type StoredDocument,
} from '../../ports/read-store';
import { decodeCursor, encodeCursor, type CursorPosition } from '../read-store-cursor';
import {
  isJsonSortValue,
  isRangeOperator,
  scalarKind,
  type JsonSortValue,
  type RangeOperator,
  type ScalarKind,
} from '../read-store-filters';
import { COLLECTION_NAME, assertCollectionName, assertFieldName, assertLimit } from '../read-store-names';
import { escapeString, escapeValue, mayNeedEscaping, needsEscaping, unescapeValue, unstorable } from './pg-read-values';

/**
 * Read store on PostgreSQL: one table per collection in a schema of its own (`read_models` unless told), each row a
 * document: `id text COLLATE "C"` (primary key), `body jsonb`, `progress jsonb`, `version bigint` and `escaped`
 * (see pg-read-values.ts: the rare document holding NUL or a lone surrogate, which jsonb refuses).
 *
 * Every call is one SQL statement, so it is atomic and reads one snapshot without a transaction of its own:
 * - `putMany` sends the whole batch as one jsonb parameter and writes it with one statement whose parts run on
 *   `jsonb_to_recordset`: an insert that does nothing on an existing id (expected 0), an upsert that adds 1 to the
 *   version (`'any'`) and an update guarded by `version = expected` (n ≥ 1). Under READ COMMITTED a concurrent writer's
 *   update makes the guard fail (PostgreSQL rechecks it on the newest row version), so a conditional write is refused,
 *   never lost. The statement answers the ids it did not write. A deadlock between two writers of overlapping batches
 *   (PostgreSQL aborts one statement, which wrote nothing) is retried.
 * - a page is one statement too: its keyset segments (see below) are `UNION ALL`ed.
 *
 * Queries compare `NULLIF(body -> field, 'null')`, a jsonb value: equality is typed as in MongoDB (1 ≠ "1" ≠ true),
 * ranges add a `jsonb_typeof` guard. `ensureIndexes` builds btree indexes on `(that expression NULLS FIRST, id)`, so
 * filters and sorts are index scans and `(key, id) > (v, id)` keyset conditions are index ranges. Missing and null sort
 * values are one segment (SQL NULL), first ascending and last descending, as on SQLite and MongoDB. jsonb compares
 * strings with the database's collation: the store refuses a database whose collation does not order strings by
 * their UTF-8 bytes (C, POSIX or C.UTF-8), the order every other adapter uses.
 */

export interface PgReadStoreOptions {
  /** e.g. `postgres://user@127.0.0.1:5432/commerce` */
  readonly url: string;
  /** the schema holding the read-model tables (created when missing); default `read_models` */
  readonly schema?: string;
  /** pooled connections; default 10 */
  readonly maxConnections?: number;
  /** longest a statement may run; default 60 000 ms */
  readonly statementTimeoutMs?: number;
  /** longest wait for a connection; default 10 000 ms */
  readonly connectTimeoutMs?: number;
  /** errors of idle pooled connections (a restarted server); the next call reports its own error anyway */
  readonly onIdleError?: (error: Error) => void;
}

export const DEFAULT_READ_SCHEMA = 'read_models';
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** PostgreSQL truncates longer identifiers (NAMEDATALEN − 1 bytes). */
const MAX_IDENTIFIER_BYTES = 63;
const PUT_ATTEMPTS = 5;

/** SQLSTATEs: https://www.postgresql.org/docs/current/errcodes-appendix.html */
const UNDEFINED_TABLE = '42P01';
const DUPLICATE_TABLE = '42P07';
const DUPLICATE_OBJECT = '42710';
const DUPLICATE_SCHEMA = '42P06';
const UNIQUE_VIOLATION = '23505';
const DEADLOCK_DETECTED = '40P01';
const SERIALIZATION_FAILURE = '40001';

const sqlStateOf = (error: unknown): string | undefined => {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const { code } = error;
  return typeof code === 'string' ? code : undefined;
};

const quote = (identifier: string): string => `"${identifier.replaceAll('"', '""')}"`;

/**
 * Names of a table's constraint and indexes: they share the schema's namespace with the tables, so they hold a `:`
 * (never in a collection name); a name longer than PostgreSQL keeps is shortened with a hash, never truncated.
 */
const auxiliaryName = (...parts: readonly string[]): string => {
  const name = parts.join(':');
  if (Buffer.byteLength(name, 'utf8') <= MAX_IDENTIFIER_BYTES) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 16);
  return `${name.slice(0, MAX_IDENTIFIER_BYTES - hash.length - 1)}:${hash}`;
};

/** Field names are validated identifiers, so the key is a literal and matches the index expression exactly. */
const keyOf = (field: string): string => `NULLIF(body -> '${field}', 'null'::jsonb)`;

const RANGE_OPERATORS: Readonly<Record<RangeOperator, string>> = { gt: '>', gte: '>=', lt: '<', lte: '<=' };

type SortValue = JsonSortValue;
type Position = CursorPosition<SortValue>;
const isSortValue = isJsonSortValue;

/** Collects bind parameters, answering each one's `$n`. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
  json(value: unknown): string {
    return `${this.add(JSON.stringify(value))}::jsonb`;
  }
}

const filterSql = (field: string, filter: FieldFilter, params: Params): string => {
  assertFieldName(field);
  const key = keyOf(field);
  if (typeof filter !== 'object') {
    scalarKind(filter);
    if (typeof filter !== 'string') return `${key} = ${params.json(filter)}`;
    const escaped = escapeString(filter);
    if (escaped === filter) return `${key} = ${params.json(filter)}`;
    // only an escaped document can hold this string, and holds it escaped
    if (unstorable(filter)) return `(escaped AND ${key} = ${params.json(escaped)})`;
    return `((NOT escaped AND ${key} = ${params.json(filter)}) OR (escaped AND ${key} = ${params.json(escaped)}))`;
  }
  let kind: ScalarKind | undefined;
  const clauses: string[] = [];
  // `{ gte: undefined }` type-checks (optional properties), so an undefined bound is skipped, not compared.
  const bounds: [string, Scalar | undefined][] = Object.entries(filter);
  for (const [operator, bound] of bounds) {
    if (bound === undefined) continue;
    if (!isRangeOperator(operator)) throw new RangeError(`unknown range operator ${operator} on ${field}`);
    const boundKind = scalarKind(bound);
    if (kind !== undefined && kind !== boundKind) throw new RangeError(`the bounds on ${field} mix value types`);
    kind = boundKind;
    // a bound jsonb cannot hold is compared in its escaped form (the order of such strings is the escaped one)
    const value = typeof bound === 'string' && unstorable(bound) ? escapeString(bound) : bound;
    clauses.push(`${key} ${RANGE_OPERATORS[operator]} ${params.json(value)}`);
  }
  if (kind === undefined) throw new RangeError(`the range filter on ${field} has no bound`);
  // jsonb orders strings < numbers < booleans: the bound narrows the index range, the guard drops other types
  if (kind === 'number' && filter.lt === undefined && filter.lte === undefined) clauses.push(`${key} < 'false'::jsonb`);
  clauses.push(`jsonb_typeof(${key}) = '${kind}'`);
  return clauses.join(' AND ');
};

interface Segment {
  readonly conditions: readonly string[];
  readonly orderBy: string;
}

/**
 * The keyset ranges a page reads, in page order. Without a cursor one ordered scan reads the whole order (missing
 * values first ascending, last descending); after a cursor the documents without a sort value are their own segment,
 * since a row comparison never matches NULL.
 */
const segmentsOf = (query: Query, after: Position | undefined, params: Params): Segment[] => {
  const { orderBy } = query;
  if (orderBy === undefined) {
    return [{ conditions: after === undefined ? [] : [`id > ${params.add(after.id)}`], orderBy: 'id ASC' }];
  }
  const key = keyOf(orderBy.field);
  const ascending = orderBy.direction === 'asc';
  const order = ascending ? `${key} ASC NULLS FIRST, id ASC` : `${key} DESC NULLS LAST, id DESC`;
  if (after === undefined) return [{ conditions: [], orderBy: order }];
  const beyond = ascending ? '>' : '<';
  const missingCanMatch = query.where?.[orderBy.field] === undefined;
  const valuedAfter = (position: { readonly value: SortValue; readonly id: string }): Segment => ({
    conditions: [`(${key}, id) ${beyond} (${params.json(position.value)}, ${params.add(position.id)})`],
    orderBy: order,
  });
  const missing = (afterId?: string): Segment => ({
    conditions: [`${key} IS NULL`, ...(afterId === undefined ? [] : [`id ${beyond} ${params.add(afterId)}`])],
    orderBy: `id ${ascending ? 'ASC' : 'DESC'}`,
  });
  const valued: Segment = { conditions: [`${key} IS NOT NULL`], orderBy: order };
  const { value, id } = after;
  if (ascending) {
    if (value !== null) return [valuedAfter({ value, id })];
    return missingCanMatch ? [missing(id), valued] : [valued];
  }
  if (value === null) return missingCanMatch ? [missing(id)] : [];
  return missingCanMatch ? [valuedAfter({ value, id }), missing()] : [valuedAfter({ value, id })];
};

interface DocumentRow {
  readonly id: string;
  readonly body: unknown;
  readonly progress: unknown;
  readonly version: string | number;
  readonly escaped: boolean;
}

interface SortedRow extends DocumentRow {
  readonly k?: unknown;
}

const COLUMNS = 'id, body, progress, version, escaped';

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const toDocument = (row: DocumentRow): StoredDocument => {
  const body = row.escaped ? unescapeValue(row.body) : row.body;
  const progress = row.escaped ? unescapeValue(row.progress) : row.progress;
  if (!isPlainObject(body) || !isPlainObject(progress)) {
    throw new TypeError(`document ${row.id} is not a read-store document (body and progress must be objects)`);
  }
  return { id: row.id, body, progress: progress as Progress, version: Number(row.version) };
};

/** One write as the statement reads it: e = expected version, -1 for 'any'; x = stored escaped. */
interface WriteRecord {
  readonly i: string;
  readonly b: unknown;
  readonly p: unknown;
  readonly e: number;
  readonly x: boolean;
}

const toRecord = (write: DocumentWrite, escaped: boolean): WriteRecord => ({
  i: write.id,
  b: escaped ? escapeValue(write.body) : write.body,
  p: escaped ? escapeValue(write.progress) : write.progress,
  e: write.expectedVersion === 'any' ? -1 : write.expectedVersion,
  x: escaped,
});

/** The batch as one JSON text; documents jsonb cannot hold as they are are escaped (a walk only when suspected). */
const batchJson = (writes: readonly DocumentWrite[]): string => {
  const plain = JSON.stringify(writes.map((write) => toRecord(write, false)));
  if (!mayNeedEscaping(plain)) return plain;
  return JSON.stringify(
    writes.map((write) => toRecord(write, needsEscaping(write.body) || needsEscaping(write.progress))),
  );
};

const RECORDSET = `jsonb_to_recordset($1::jsonb) AS w(i text COLLATE "C", b jsonb, p jsonb, e bigint, x boolean)`;

/**
 * The putMany statement for a table and the kinds of writes a batch holds (so the usual batches, all inserts or all
 * conditional updates, run only their own part). It answers the ids it refused.
 */
const putStatement = (table: string, kinds: { create: boolean; any: boolean; update: boolean }): string => {
  const parts = [`w AS (SELECT * FROM ${RECORDSET})`];
  const written: string[] = [];
  if (kinds.create) {
    parts.push(
      `created AS (INSERT INTO ${table} AS d (id, body, progress, version, escaped)
        SELECT i, b, p, 1, x FROM w WHERE e = 0 ON CONFLICT (id) DO NOTHING RETURNING d.id)`,
    );
    written.push('SELECT id FROM created');
  }
  if (kinds.any) {
    parts.push(
      `upserted AS (INSERT INTO ${table} AS d (id, body, progress, version, escaped)
        SELECT i, b, p, 1, x FROM w WHERE e < 0
        ON CONFLICT (id) DO UPDATE SET body = excluded.body, progress = excluded.progress,
          version = d.version + 1, escaped = excluded.escaped)`,
    );
  }
  if (kinds.update) {
    parts.push(
      `updated AS (UPDATE ${table} AS d SET body = w.b, progress = w.p, version = d.version + 1, escaped = w.x
        FROM w WHERE w.e > 0 AND d.id = w.i AND d.version = w.e RETURNING d.id)`,
    );
    written.push('SELECT id FROM updated');
  }
  const refused =
    written.length === 0
      ? 'SELECT i FROM w WHERE false'
      : `SELECT i FROM w WHERE e >= 0 AND i NOT IN (${written.join(' UNION ALL ')})`;
  return `WITH ${parts.join(',\n')}\n${refused}`;
};

const toError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

class PgReadStore implements ReadStore {
  private closed = false;
  /** tables this store created or saw: writes to them skip the CREATE (a table dropped elsewhere is recreated) */
  private readonly known = new Set<string>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
    /** the server can compress with lz4: several times faster than pglz, for bodies past the 2 kB TOAST threshold */
    private readonly lz4: boolean,
  ) {}

  async get(collection: string, id: string): Promise<StoredDocument | undefined> {
    const table = this.table(collection);
    if (unstorable(id)) return undefined;
    const rows = await this.read<DocumentRow>(prepared(`SELECT ${COLUMNS} FROM ${table} WHERE id = $1`, [id]));
    const row = rows[0];
    return row === undefined ? undefined : toDocument(row);
  }

  async getMany(collection: string, ids: readonly string[]): Promise<ReadonlyMap<string, StoredDocument>> {
    const table = this.table(collection);
    const found = new Map<string, StoredDocument>();
    const wanted = [...new Set(ids)].filter((id) => !unstorable(id));
    if (wanted.length === 0) return found;
    const rows = await this.read<DocumentRow>(
      prepared(`SELECT ${COLUMNS} FROM ${table} WHERE id = ANY($1::text[])`, [wanted]),
    );
    for (const row of rows) found.set(row.id, toDocument(row));
    return found;
  }

  async putMany(collection: string, writes: readonly DocumentWrite[]): Promise<PutResult> {
    const table = this.table(collection);
    assertWrites(writes);
    for (const write of writes) {
      if (unstorable(write.id)) {
        throw new TypeError(`document ids must not hold NUL or lone surrogates (PostgreSQL text cannot): ${write.id}`);
      }
    }
    if (writes.length === 0) return { conflicts: [] };
    const kinds = {
      create: writes.some((write) => write.expectedVersion === 0),
      any: writes.some((write) => write.expectedVersion === 'any'),
      update: writes.some((write) => write.expectedVersion !== 'any' && write.expectedVersion > 0),
    };
    // in id order, so that two writers of overlapping batches take their row locks in the same order
    const json = batchJson([...writes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
    const sql = putStatement(table, kinds);
    for (let attempt = 1; ; attempt += 1) {
      await this.createTable(collection);
      try {
        const { rows } = await this.pool.query<{ i: string }>(prepared(sql, [json]));
        const refused = new Set(rows.map((row) => row.i));
        return { conflicts: writes.filter((write) => refused.has(write.id)).map((write) => write.id) };
      } catch (error) {
        const state = sqlStateOf(error);
        // the table was dropped by another store since this one saw it
        if (state === UNDEFINED_TABLE && attempt < PUT_ATTEMPTS) this.known.delete(collection);
        // the statement was rolled back whole: nothing of it was written
        else if ((state === DEADLOCK_DETECTED || state === SERIALIZATION_FAILURE) && attempt < PUT_ATTEMPTS) continue;
        else throw unavailableOr(error);
      }
    }
  }

  async query(collection: string, query: Query): Promise<Page> {
    const table = this.table(collection);
    assertLimit(query.limit);
    const params = new Params();
    const filters = Object.entries(query.where ?? {}).map(([field, filter]) => filterSql(field, filter, params));
    const { orderBy } = query;
    if (orderBy !== undefined) assertFieldName(orderBy.field);
    const after = query.after === undefined ? undefined : decodeCursor(query, query.after, isSortValue);
    const segments = segmentsOf(query, after, params);
    if (segments.length === 0) return { items: [] };
    const limit = params.add(query.limit + 1);
    const sortKey = orderBy === undefined ? '' : `, ${keyOf(orderBy.field)} AS k`;
    const selects = segments.map((segment, index) => {
      const where = [...filters, ...segment.conditions];
      return (
        `SELECT ${COLUMNS}${sortKey}, ${index} AS s FROM ${table}` +
        (where.length === 0 ? '' : ` WHERE ${where.map((condition) => `(${condition})`).join(' AND ')}`) +
        ` ORDER BY ${segment.orderBy} LIMIT ${limit}`
      );
    });
    const direction = orderBy?.direction === 'desc' ? 'DESC' : 'ASC';
    const sql =
      selects.length === 1
        ? selects.join('')
        : // one statement reads every segment on one snapshot; the segments come in their own order
          `SELECT * FROM (${selects.map((select) => `(${select})`).join(' UNION ALL ')}) AS page ` +
          `ORDER BY s, ${orderBy === undefined ? '' : `k ${direction} NULLS ${direction === 'ASC' ? 'FIRST' : 'LAST'}, `}` +
          `id ${direction} LIMIT ${limit}`;
    // not prepared: the text follows the query's filters and order, which callers choose
    const rows = await this.read<SortedRow>({ text: sql, values: [...params.values] });
    const items = rows.slice(0, query.limit);
    const last = items.at(-1);
    if (rows.length <= query.limit || last === undefined) return { items: items.map(toDocument) };
    // the stored value (escaped, if it is) is where the next page starts
    const value = last.k ?? null;
    if (!isSortValue(value)) {
      throw new TypeError(
        `document ${last.id}: sort field ${orderBy?.field ?? ''} must hold a string, number or boolean`,
      );
    }
    return { items: items.map(toDocument), next: encodeCursor(query, { value, id: last.id }) };
  }

  async count(collection: string): Promise<number> {
    const rows = await this.read<{ n: string }>(prepared(`SELECT count(*) AS n FROM ${this.table(collection)}`));
    return Number(rows[0]?.n ?? 0);
  }

  async ensureIndexes(collection: string, fields: readonly string[]): Promise<void> {
    const table = this.table(collection);
    for (const field of fields) assertFieldName(field);
    await this.createTable(collection);
    for (const field of new Set(fields)) {
      const index = quote(auxiliaryName('ix', collection, field));
      await this.tolerateRace(`CREATE INDEX IF NOT EXISTS ${index} ON ${table} ((${keyOf(field)}) NULLS FIRST, id)`);
    }
  }

  async listCollections(): Promise<readonly string[]> {
    this.assertOpen();
    const { rows } = await this.pool
      .query<{ name: string }>(
        `SELECT tablename AS name FROM pg_catalog.pg_tables WHERE schemaname = $1 ORDER BY tablename COLLATE "C"`,
        [this.schema],
      )
      .catch(rethrowUnavailable);
    return rows.map((row) => row.name).filter((name) => COLLECTION_NAME.test(name));
  }

  async dropCollection(collection: string): Promise<void> {
    const table = this.table(collection);
    this.known.delete(collection);
    await this.pool.query(`DROP TABLE IF EXISTS ${table}`).catch(rethrowUnavailable);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the read store is closed');
  }

  /** The collection's table, quoted and schema-qualified; throws on a closed store or an invalid name. */
  private table(collection: string): string {
    this.assertOpen();
    assertCollectionName(collection);
    return `${quote(this.schema)}.${quote(collection)}`;
  }

  /**
   * A read of a table that does not exist finds nothing (reads never create tables); a server that cannot be reached
   * is a `StoreUnavailableError`, which the read API answers with 503.
   */
  private async read<Row extends pg.QueryResultRow>(query: pg.QueryConfig): Promise<Row[]> {
    try {
      return (await this.pool.query<Row>(query)).rows;
    } catch (error) {
      if (sqlStateOf(error) === UNDEFINED_TABLE) return [];
      throw unavailableOr(error);
    }
  }

  private async createTable(collection: string): Promise<void> {
    if (this.known.has(collection)) return;
    await this.tolerateRace(
      `CREATE TABLE IF NOT EXISTS ${this.table(collection)} (
        id text COLLATE "C" NOT NULL,
        body jsonb ${this.lz4 ? 'COMPRESSION lz4 ' : ''}NOT NULL,
        progress jsonb NOT NULL,
        version bigint NOT NULL,
        escaped boolean NOT NULL DEFAULT false,
        CONSTRAINT ${quote(auxiliaryName('pk', collection))} PRIMARY KEY (id))`,
    );
    this.known.add(collection);
  }

  /**
   * Runs a `CREATE … IF NOT EXISTS`: two sessions creating the same object at once can both pass the check, and the
   * later one then fails on a catalog's unique index although the object exists as wanted.
   */
  private async tolerateRace(sql: string): Promise<void> {
    try {
      await this.pool.query(sql);
    } catch (error) {
      const state = sqlStateOf(error);
      if (state !== UNIQUE_VIOLATION && state !== DUPLICATE_TABLE && state !== DUPLICATE_OBJECT) {
        throw unavailableOr(error);
      }
      await this.pool.query(sql).catch(rethrowUnavailable);
    }
  }
}

/** Strings compared as jsonb must come out in UTF-8 byte order, as on SQLite and MongoDB. */
const BYTE_ORDER_PROBE = `SELECT '"B"'::jsonb < '"a"'::jsonb AND '"a b"'::jsonb < '"a-b"'::jsonb
  AND '"z"'::jsonb < '"é"'::jsonb AND '"€"'::jsonb < '"😀"'::jsonb AS ok`;

/**
 * Connects (bounded), checks that the database orders strings by bytes, creates the schema when missing and hands out
 * the store.
 */
export const openPgReadStore = async (options: PgReadStoreOptions): Promise<ReadStore> => {
  const schema = options.schema ?? DEFAULT_READ_SCHEMA;
  if (!SCHEMA_NAME.test(schema)) {
    throw new RangeError(`invalid schema name ${JSON.stringify(schema)}: expected ${SCHEMA_NAME.source}`);
  }
  const statementTimeoutMs = options.statementTimeoutMs ?? 60_000;
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: statementTimeoutMs,
    // the server ends a slow statement; this ends the wait when the server (or the network to it) is gone
    query_timeout: statementTimeoutMs + 10_000,
    keepAlive: true,
    application_name: 'commerce-engine-read-store',
  });
  pool.on('error', (error) => {
    options.onIdleError?.(error);
  });
  try {
    const { rows } = await pool.query<{ ok: boolean }>(BYTE_ORDER_PROBE);
    if (rows[0]?.ok !== true) {
      throw new Error(
        'the PostgreSQL database does not order strings by their bytes: create it with LC_COLLATE C (e.g. ' +
          "CREATE DATABASE commerce TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'), " +
          'so that read-model ranges and pages sort as on the other read stores',
      );
    }
    try {
      await pool.query(`CREATE SCHEMA IF NOT EXISTS ${quote(schema)}`);
    } catch (error) {
      const state = sqlStateOf(error);
      if (state !== UNIQUE_VIOLATION && state !== DUPLICATE_SCHEMA) throw error;
    }
    const compression = await pool.query<{ lz4: boolean }>(
      `SELECT 'lz4' = ANY(enumvals) AS lz4 FROM pg_catalog.pg_settings WHERE name = 'default_toast_compression'`,
    );
    return new PgReadStore(pool, schema, compression.rows[0]?.lz4 === true);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw toError(error);
  }
};
