import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
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
import { openWalDatabase, tuneForHotPages } from './database';
import { GroupCommit } from './group-commit';
import { decodeCursor, encodeCursor, type CursorPosition } from '../read-store-cursor';
import { isRangeOperator, scalarKind, type RangeOperator, type ScalarKind } from '../read-store-filters';
import { COLLECTION_NAME, assertCollectionName, assertFieldName, assertLimit } from '../read-store-names';

/**
 * Embedded read store: one SQLite file (better-sqlite3, WAL), one table per collection holding each document's
 * body and progress as JSON text and its version. Several processes may share the file: a conditional write is an
 * `UPDATE … WHERE version = ?` (or an insert that does nothing on an existing id) inside one IMMEDIATE transaction,
 * so a concurrent writer's update is refused, never overwritten. The putMany calls of one turn of the event loop
 * (every in-process worker writes its documents, then its progress) share that transaction, each call in its own
 * savepoint; a write is visible to reads once its putMany resolved.
 *
 * Queries read body fields with `json_extract`; `ensureIndexes` builds expression indexes on exactly those
 * expressions, so filtered and sorted pages are index range scans.
 *
 * Filters compare values of the same JSON type only, as MongoDB does: `json_extract` turns `true` into 1 and returns
 * objects as text, so every filter also checks `json_type`. Pages use keyset pagination on (sort value, id); documents
 * whose sort field is missing or null come first in ascending order and last in descending order (MongoDB's order
 * too), and are read as their own segment because SQL comparisons never match NULL.
 */

export interface SqliteReadStoreOptions {
  /** database file, or ':memory:' (tests); the caller's default is `./data/read.db` */
  readonly path: string;
  /** false: commits never checkpoint; a `WalCheckpointer` thread does (default true) */
  readonly autoCheckpoint?: boolean;
  /** how long a writer waits for another connection's write lock before failing; default 5000 ms */
  readonly busyTimeoutMs?: number;
}

/** Tables carry a prefix so that any valid collection name (even `sqlite_x`) is a legal, unambiguous table name. */
const TABLE_PREFIX = 'rm_';
/** Distinct query shapes kept prepared per collection; beyond it the least recently used one is dropped. */
const STATEMENTS_PER_TABLE = 64;

type SqlValue = string | number | null;
type SortValue = string | number | null;

interface DocumentRow {
  readonly id: string;
  readonly body: string;
  readonly progress: string;
  readonly version: number;
}

interface SortedRow extends DocumentRow {
  readonly k: unknown;
}

type Position = CursorPosition<SortValue>;

interface Clause {
  readonly sql: string;
  readonly params: readonly SqlValue[];
}

const quote = (identifier: string): string => `"${identifier.replaceAll('"', '""')}"`;
const tableOf = (collection: string): string => `${TABLE_PREFIX}${collection}`;
/** Field names are validated identifiers, so the JSON path is a literal and matches the index expression exactly. */
const valueOf = (field: string): string => `json_extract(body, '$.${field}')`;
const typeOf = (field: string): string => `json_type(body, '$.${field}')`;

const TYPE_GUARD = {
  string: "= 'text'",
  number: "IN ('integer', 'real')",
  boolean: "IN ('true', 'false')",
} as const;

/** SQLite has no boolean: json_extract yields 1 and 0, which is what a bound value must be. */
const bindable = (value: Scalar): SqlValue => (typeof value === 'boolean' ? (value ? 1 : 0) : value);

const RANGE_OPERATORS: Readonly<Record<RangeOperator, string>> = { gt: '>', gte: '>=', lt: '<', lte: '<=' };

const filterClause = (field: string, filter: FieldFilter): Clause => {
  assertFieldName(field);
  const value = valueOf(field);
  if (typeof filter !== 'object') {
    const kind = scalarKind(filter);
    return { sql: `${value} = ? AND ${typeOf(field)} ${TYPE_GUARD[kind]}`, params: [bindable(filter)] };
  }
  let kind: ScalarKind | undefined;
  const clauses: string[] = [];
  const params: SqlValue[] = [];
  // `{ gte: undefined }` type-checks (optional properties), so an undefined bound is skipped, not compared.
  const bounds: [string, Scalar | undefined][] = Object.entries(filter);
  for (const [operator, bound] of bounds) {
    if (bound === undefined) continue;
    if (!isRangeOperator(operator)) throw new RangeError(`unknown range operator ${operator} on ${field}`);
    const boundKind = scalarKind(bound);
    if (kind !== undefined && kind !== boundKind) throw new RangeError(`the bounds on ${field} mix value types`);
    kind = boundKind;
    clauses.push(`${value} ${RANGE_OPERATORS[operator]} ?`);
    params.push(bindable(bound));
  }
  if (kind === undefined) throw new RangeError(`the range filter on ${field} has no bound`);
  const has = (operator: RangeOperator): boolean => filter[operator] !== undefined;
  // Numbers sort below all text and text above all numbers: these bounds only narrow the index range scan.
  if (kind === 'number' && !has('lt') && !has('lte')) clauses.push(`${value} < ''`);
  if (kind === 'string' && !has('gt') && !has('gte')) clauses.push(`${value} >= ''`);
  clauses.push(`${typeOf(field)} ${TYPE_GUARD[kind]}`);
  return { sql: clauses.join(' AND '), params };
};

const isSortValue = (value: unknown): value is SortValue =>
  value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));

const COLUMNS = 'id, body, progress, version';

const toDocument = (row: DocumentRow): StoredDocument => ({
  id: row.id,
  body: JSON.parse(row.body) as Record<string, unknown>,
  progress: JSON.parse(row.progress) as Progress,
  version: row.version,
});

/** Older files created tables without a version column; every existing document counts as version 1. */
const VERSION_COLUMN_DEFAULT = 1;

const parentFolderOf = (path: string): string | undefined => {
  if (path === '' || path === ':memory:' || path.startsWith('file:')) return undefined;
  return dirname(path);
};

interface PendingPut {
  readonly table: string;
  readonly writes: readonly DocumentWrite[];
}

interface TableWriters {
  readonly insert: Database.Statement;
  readonly update: Database.Statement;
  readonly upsert: Database.Statement;
}

const toError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

class SqliteReadStore implements ReadStore {
  private closed = false;
  private readonly statements = new Map<string, Map<string, Database.Statement>>();
  /** the write statements per table, prepared once (dropped with the table) */
  private readonly writers = new Map<string, TableWriters>();
  /** putMany calls of one turn of the event loop, written in one transaction */
  private readonly writer: GroupCommit<PendingPut, PutResult>;
  private readonly tableExistsStmt: Database.Statement<[string]>;
  private readonly listTablesStmt: Database.Statement<[], string>;

  constructor(private readonly db: Database.Database) {
    this.tableExistsStmt = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").pluck();
    this.listTablesStmt = db
      .prepare<[], string>(
        `SELECT name FROM sqlite_schema WHERE type = 'table' AND substr(name, 1, ${TABLE_PREFIX.length}) = '${TABLE_PREFIX}'
         ORDER BY name`,
      )
      .pluck();
    this.writer = new GroupCommit(db, (put: PendingPut) => this.writeOne(put));
  }

  get(collection: string, id: string): Promise<StoredDocument | undefined> {
    return this.run(() => {
      const table = tableOf(collection);
      if (!this.exists(table)) return undefined;
      const row = this.statement(table, `SELECT ${COLUMNS} FROM ${quote(table)} WHERE id = ?`).get(id) as
        DocumentRow | undefined;
      return row === undefined ? undefined : toDocument(row);
    }, collection);
  }

  getMany(collection: string, ids: readonly string[]): Promise<ReadonlyMap<string, StoredDocument>> {
    return this.run(() => {
      const found = new Map<string, StoredDocument>();
      const table = tableOf(collection);
      if (ids.length === 0 || !this.exists(table)) return found;
      // One JSON array parameter keeps a single prepared statement for any number of ids.
      const rows = this.statement(
        table,
        `SELECT ${COLUMNS} FROM ${quote(table)} WHERE id IN (SELECT value FROM json_each(?))`,
      ).all(JSON.stringify(ids)) as DocumentRow[];
      for (const row of rows) found.set(row.id, toDocument(row));
      return found;
    }, collection);
  }

  putMany(collection: string, writes: readonly DocumentWrite[]): Promise<PutResult> {
    try {
      if (this.closed) throw new Error('the read store is closed');
      assertCollectionName(collection);
      assertWrites(writes);
    } catch (error) {
      return Promise.reject(toError(error));
    }
    if (writes.length === 0) return Promise.resolve({ conflicts: [] });
    return this.writer.submit({ table: tableOf(collection), writes });
  }

  /** Runs inside the batch transaction, in its own savepoint. */
  private writeOne({ table, writes }: PendingPut): PutResult {
    this.createTable(table);
    const { insert, update, upsert } = this.writersOf(table);
    const conflicts: string[] = [];
    for (const { id, body, progress, expectedVersion } of writes) {
      const bodyJson = JSON.stringify(body);
      const progressJson = JSON.stringify(progress);
      if (expectedVersion === 'any') {
        upsert.run(id, bodyJson, progressJson);
        continue;
      }
      const { changes } =
        expectedVersion === 0
          ? insert.run(id, bodyJson, progressJson)
          : update.run(bodyJson, progressJson, id, expectedVersion);
      if (changes === 0) conflicts.push(id);
    }
    return { conflicts };
  }

  private writersOf(table: string): TableWriters {
    let writers = this.writers.get(table);
    if (writers === undefined) {
      writers = {
        insert: this.db.prepare(
          `INSERT INTO ${quote(table)} (${COLUMNS}) VALUES (?, ?, ?, 1) ON CONFLICT (id) DO NOTHING`,
        ),
        update: this.db.prepare(
          `UPDATE ${quote(table)} SET body = ?, progress = ?, version = version + 1 WHERE id = ? AND version = ?`,
        ),
        upsert: this.db.prepare(
          `INSERT INTO ${quote(table)} (${COLUMNS}) VALUES (?, ?, ?, 1)
           ON CONFLICT (id) DO UPDATE SET body = excluded.body, progress = excluded.progress, version = version + 1`,
        ),
      };
      this.writers.set(table, writers);
    }
    return writers;
  }

  query(collection: string, query: Query): Promise<Page> {
    return this.run(() => {
      assertLimit(query.limit);
      const filters = Object.entries(query.where ?? {}).map(([field, filter]) => filterClause(field, filter));
      if (query.orderBy !== undefined) assertFieldName(query.orderBy.field);
      const after = query.after === undefined ? undefined : decodeCursor(query, query.after, isSortValue);
      const table = tableOf(collection);
      const read = this.db.transaction((): Page => {
        if (!this.exists(table)) return { items: [] };
        const rows: SortedRow[] = [];
        for (const segment of segmentsOf(query, after)) {
          const wanted = query.limit + 1 - rows.length;
          if (wanted <= 0) break;
          const where = [...filters, ...segment.conditions];
          const sql =
            `SELECT ${COLUMNS}${segment.sortKey === undefined ? '' : `, ${segment.sortKey} AS k`} ` +
            `FROM ${quote(table)}${where.length === 0 ? '' : ` WHERE ${where.map((c) => `(${c.sql})`).join(' AND ')}`} ` +
            `ORDER BY ${segment.orderBy} LIMIT ?`;
          const params = [...where.flatMap((c) => c.params), wanted];
          rows.push(...(this.statement(table, sql).all(...params) as SortedRow[]));
        }
        const items = rows.slice(0, query.limit);
        const last = items.at(-1);
        if (rows.length <= query.limit || last === undefined) return { items: items.map(toDocument) };
        const value = isSortValue(last.k) ? last.k : null;
        return { items: items.map(toDocument), next: encodeCursor(query, { value, id: last.id }) };
      });
      // A read transaction keeps every segment of one page on the same WAL snapshot.
      return read.deferred();
    }, collection);
  }

  count(collection: string): Promise<number> {
    return this.run(() => {
      const table = tableOf(collection);
      if (!this.exists(table)) return 0;
      return Number(
        this.statement(table, `SELECT count(*) FROM ${quote(table)}`)
          .pluck()
          .get(),
      );
    }, collection);
  }

  ensureIndexes(collection: string, fields: readonly string[]): Promise<void> {
    return this.run(() => {
      for (const field of fields) assertFieldName(field);
      const table = tableOf(collection);
      this.db
        .transaction(() => {
          this.createTable(table);
          for (const field of fields) {
            // ':' cannot occur in table or field names, so index names never collide across collections.
            this.db.exec(
              `CREATE INDEX IF NOT EXISTS ${quote(`ix:${table}:${field}`)} ON ${quote(table)} (${valueOf(field)}, id)`,
            );
          }
        })
        .immediate();
    }, collection);
  }

  listCollections(): Promise<readonly string[]> {
    return this.run(() =>
      this.listTablesStmt
        .all()
        .map((table) => table.slice(TABLE_PREFIX.length))
        .filter((name) => COLLECTION_NAME.test(name)),
    );
  }

  dropCollection(collection: string): Promise<void> {
    return this.run(() => {
      const table = tableOf(collection);
      // writes issued before the drop land before it, as they would have without the queue
      this.writer.flush();
      this.statements.delete(table);
      this.writers.delete(table);
      this.db.exec(`DROP TABLE IF EXISTS ${quote(table)}`);
    }, collection);
  }

  close(): Promise<void> {
    if (!this.closed) {
      // writes already accepted are written (and answered) before the connection goes
      this.writer.flush();
      this.closed = true;
      this.statements.clear();
      this.writers.clear();
      this.db.close();
    }
    return Promise.resolve();
  }

  /** Runs synchronous SQLite work as a promise, so every failure is a rejection. */
  private run<T>(work: () => T, collection?: string): Promise<T> {
    try {
      if (this.closed) throw new Error('the read store is closed');
      if (collection !== undefined) assertCollectionName(collection);
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(toError(error));
    }
  }

  private exists(table: string): boolean {
    return this.tableExistsStmt.get(table) !== undefined;
  }

  private createTable(table: string): void {
    this.statement(
      table,
      `CREATE TABLE IF NOT EXISTS ${quote(table)} ` +
        '(id TEXT PRIMARY KEY, body TEXT NOT NULL, progress TEXT NOT NULL, version INTEGER NOT NULL)',
    ).run();
  }

  /** Adds the version column to the tables of an older file; inside IMMEDIATE, so two opening processes agree. */
  migrate(): void {
    this.db
      .transaction(() => {
        for (const table of this.listTablesStmt.all()) {
          const columns = this.db.pragma(`table_info(${quote(table)})`) as readonly { readonly name: string }[];
          if (columns.some((column) => column.name === 'version')) continue;
          this.db.exec(
            `ALTER TABLE ${quote(table)} ADD COLUMN version INTEGER NOT NULL DEFAULT ${VERSION_COLUMN_DEFAULT}`,
          );
        }
      })
      .immediate();
  }

  private statement(table: string, sql: string): Database.Statement {
    let cache = this.statements.get(table);
    if (cache === undefined) {
      cache = new Map();
      this.statements.set(table, cache);
    }
    const cached = cache.get(sql);
    if (cached !== undefined) {
      // Re-inserting marks it most recently used (a Map iterates in insertion order).
      cache.delete(sql);
      cache.set(sql, cached);
      return cached;
    }
    const prepared = this.db.prepare(sql);
    cache.set(sql, prepared);
    if (cache.size > STATEMENTS_PER_TABLE) {
      const oldest = cache.keys().next();
      if (oldest.done !== true) cache.delete(oldest.value);
    }
    return prepared;
  }
}

interface PageSegment {
  readonly conditions: readonly Clause[];
  readonly orderBy: string;
  readonly sortKey?: string;
}

/**
 * The keyset ranges a page reads, in page order. With an orderBy, documents with a missing or null sort value form
 * their own segment (ordered by id) before the others when ascending and after them when descending; a cursor
 * starts in the segment its position belongs to.
 */
const segmentsOf = (query: Query, after: Position | undefined): PageSegment[] => {
  const { orderBy } = query;
  if (orderBy === undefined) {
    return [
      {
        conditions: after === undefined ? [] : [{ sql: 'id > ?', params: [after.id] }],
        orderBy: 'id ASC',
      },
    ];
  }
  const value = valueOf(orderBy.field);
  const direction = orderBy.direction === 'asc' ? 'ASC' : 'DESC';
  const beyond = orderBy.direction === 'asc' ? '>' : '<';
  const valued: PageSegment = {
    conditions: [
      { sql: `${value} IS NOT NULL`, params: [] },
      ...(after === undefined || after.value === null
        ? []
        : [
            {
              // Spelled out rather than as a row value `(value, id) > (?, ?)`, which SQLite does not turn into an
              // index range on an expression index (it scans from the start).
              sql: `${value} ${beyond}= ? AND (${value} ${beyond} ? OR id ${beyond} ?)`,
              params: [after.value, after.value, after.id],
            },
          ]),
    ],
    orderBy: `${value} ${direction}, id ${direction}`,
    sortKey: value,
  };
  const missing: PageSegment = {
    conditions: [
      { sql: `${value} IS NULL`, params: [] },
      ...(after === undefined || after.value !== null ? [] : [{ sql: `id ${beyond} ?`, params: [after.id] }]),
    ],
    orderBy: `id ${direction}`,
    sortKey: value,
  };
  // Every filter excludes missing values, so a filter on the sort field leaves the missing segment empty.
  const missingCanMatch = query.where?.[orderBy.field] === undefined;
  if (orderBy.direction === 'asc') {
    if (after !== undefined && after.value !== null) return [valued];
    return missingCanMatch ? [missing, valued] : [valued];
  }
  if (after !== undefined && after.value === null) return missingCanMatch ? [missing] : [];
  return missingCanMatch ? [valued, missing] : [valued];
};

/** Opens (creating if needed) a read store on one SQLite file in WAL mode. */
export const openSqliteReadStore = (options: SqliteReadStoreOptions): ReadStore => {
  const folder = parentFolderOf(options.path);
  if (folder !== undefined) mkdirSync(folder, { recursive: true });
  // Read models are rebuilt from the event log, so losing the last commits on power loss is acceptable (NORMAL).
  // Workers rewrite the same hot pages (progress, sales buckets, SKUs, the newest orders) every batch.
  const db = openWalDatabase(options.path, options, tuneForHotPages);
  const store = new SqliteReadStore(db);
  store.migrate();
  return store;
};
