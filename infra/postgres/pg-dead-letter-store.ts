import pg from 'pg';
import { migrateSchema } from './pg-migrate';
import { rethrowUnavailable } from './pg-unavailable';
import { deadLetterValues } from '../dead-letter-rows';
import type { Clock } from '../../ports/clock';
import type { DeadLetter, DeadLetterFilter, DeadLetterStore, NewDeadLetter } from '../../ports/dead-letters';
import { quoteIdentifier } from './pg-event-schema';

/**
 * Dead letters on PostgreSQL, so that several saga runner processes (and the `commerce dlq` CLI) share them. One
 * table, `<schema>.dead_letters`, with the semantics of the SQLite adapter (infra/sqlite/sqlite-dead-letter-store.ts):
 *
 * - `record` upserts on (consumer, key, event_id): the same input failing again adds its attempts to the letter and
 *   replaces its error; the event as first recorded is kept.
 * - `parkBehind` is ONE statement (INSERT … SELECT … WHERE EXISTS … ON CONFLICT … RETURNING). The EXISTS subquery
 *   takes `FOR KEY SHARE` on the letter it finds: a retry that is removing the key's last letter at that moment either
 *   removed it first (the row is skipped, nothing is written, the input goes through) or waits for this statement to
 *   commit and then finds the new letter in its next `oldest`. Without the lock a READ COMMITTED snapshot could still
 *   see a letter whose DELETE commits a moment later and park the input behind nothing.
 * - `isParked` is asked before every saga input and the table is almost always empty: the store keeps the answer
 *   "the table holds no letter" for at most EMPTY_CHECK_MS (1 s), and this process's own `record`, `parkBehind` and
 *   `remove` drop it at once. The window: a letter another process records becomes visible to this process's
 *   `isParked` within 1 s; an input of that key arriving here inside that second is handled instead of parked (the
 *   same holds for the SQLite adapter, with its 5 ms `data_version` check). Once the table holds a letter every
 *   `isParked` asks the server (one indexed lookup), so removals by other processes count at once.
 *
 * Columns: `event_data`/`metadata` are `json` (the text as recorded, as in the event store: it keeps every string
 * JSON can carry, jsonb refuses \u0000), the times `timestamptz`, ids, revisions, positions and sequences `bigint`
 * (answered as JS numbers). Text columns cannot hold NUL: the error text has it replaced by U+FFFD.
 */

export interface PgDeadLetterStoreOptions {
  /** e.g. `postgresql://user@127.0.0.1:5432/commerce` */
  readonly url: string;
  /** schema of the `dead_letters` table (created when missing), a lowercase identifier */
  readonly schema: string;
  readonly clock: Clock;
  /** pooled connections; default 4 */
  readonly poolSize?: number;
  /** longest wait for a connection; default 10 000 ms */
  readonly connectTimeoutMs?: number;
  /** longest a statement may run; default 30 000 ms */
  readonly statementTimeoutMs?: number;
  /** errors of idle pooled connections (a restarted server); the next call reports its own error anyway */
  readonly onIdleError?: (error: Error) => void;
}

export const DEFAULT_DEAD_LETTER_POOL_SIZE = 4;

/** How long `isParked` trusts "the table holds no letter" before asking the server again. */
export const EMPTY_CHECK_MS = 1_000;

/** Errors are kept short: a stack trace belongs in the logs, the letter needs the reason (as on SQLite). */
const MAX_ERROR_CHARS = 2_000;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

interface Row {
  readonly id: string;
  readonly consumer: string;
  readonly key: string;
  readonly event_id: string;
  readonly stream_id: string;
  readonly revision: string | null;
  readonly position: string | null;
  readonly event_type: string;
  readonly event_data: unknown;
  readonly metadata: unknown;
  readonly source: string | null;
  readonly sequence: string | null;
  readonly error: string;
  readonly attempts: number;
  readonly first_failed_at: Date;
  readonly last_failed_at: Date;
}

const numberOrNull = (value: string | null): number | null => (value === null ? null : Number(value));

const toLetter = (row: Row): DeadLetter => ({
  id: Number(row.id),
  consumer: row.consumer,
  key: row.key,
  event: {
    eventId: row.event_id,
    streamId: row.stream_id,
    revision: numberOrNull(row.revision),
    position: numberOrNull(row.position),
    type: row.event_type,
    data: row.event_data,
    metadata: row.metadata,
    source: row.source,
    sequence: numberOrNull(row.sequence),
  },
  error: row.error,
  attempts: row.attempts,
  firstFailedAt: row.first_failed_at.toISOString(),
  lastFailedAt: row.last_failed_at.toISOString(),
});

const boundError = (error: string): string => error.slice(0, MAX_ERROR_CHARS).replaceAll('\u0000', '\uFFFD');

const COLUMNS = `consumer, key, event_id, stream_id, revision, position, event_type, event_data, metadata, source,
  sequence, error, attempts, first_failed_at, last_failed_at`;

/** $1…$15 in COLUMNS order, typed (an INSERT … SELECT gives its parameters no column types of its own) */
const VALUES = `$1::text, $2::text, $3::text, $4::text, $5::bigint, $6::bigint, $7::text, $8::json, $9::json,
  $10::text, $11::bigint, $12::text, $13::integer, $14::timestamptz, $15::timestamptz`;

const statements = (table: string) => {
  const onConflict = `ON CONFLICT (consumer, key, event_id) DO UPDATE SET
    error = EXCLUDED.error, attempts = d.attempts + EXCLUDED.attempts, last_failed_at = EXCLUDED.last_failed_at`;
  return {
    record: `INSERT INTO ${table} AS d (${COLUMNS}) VALUES (${VALUES}) ${onConflict} RETURNING *`,
    parkBehind: `INSERT INTO ${table} AS d (${COLUMNS}) SELECT ${VALUES}
      WHERE EXISTS (SELECT 1 FROM ${table} WHERE consumer = $1 AND key = $2 LIMIT 1 FOR KEY SHARE)
      ${onConflict} RETURNING *`,
    get: `SELECT * FROM ${table} WHERE id = $1`,
    oldest: `SELECT * FROM ${table} WHERE consumer = $1 AND key = $2 ORDER BY id LIMIT 1`,
    parked: `SELECT EXISTS (SELECT 1 FROM ${table} WHERE consumer = $1 AND key = $2) AS parked,
      EXISTS (SELECT 1 FROM ${table}) AS held`,
    failedAgain: `UPDATE ${table} SET error = $1, attempts = attempts + 1, last_failed_at = $2 WHERE id = $3`,
    remove: `DELETE FROM ${table} WHERE id = $1`,
    count: `SELECT consumer, count(*) AS n FROM ${table} GROUP BY consumer ORDER BY consumer COLLATE "C"`,
  };
};

const ddl = (schema: string, table: string): string => `
  CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)};
  CREATE TABLE IF NOT EXISTS ${table} (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consumer        text        NOT NULL,
    key             text        NOT NULL,
    event_id        text        NOT NULL,
    stream_id       text        NOT NULL,
    revision        bigint,
    position        bigint,
    event_type      text        NOT NULL,
    event_data      json        NOT NULL,
    metadata        json        NOT NULL,
    source          text,
    sequence        bigint,
    error           text        NOT NULL,
    attempts        integer     NOT NULL,
    first_failed_at timestamptz NOT NULL,
    last_failed_at  timestamptz NOT NULL,
    UNIQUE (consumer, key, event_id)
  );
  CREATE INDEX IF NOT EXISTS dead_letters_by_key ON ${table} (consumer, key, id);
`;

export class PgDeadLetterStore implements DeadLetterStore {
  readonly schema: string;
  /** the quoted, schema-qualified table name */
  readonly table: string;
  private readonly pool: pg.Pool;
  private readonly clock: Clock;
  private readonly sql: ReturnType<typeof statements>;
  private ending: Promise<void> | undefined;

  /** "the table holds no letter", as of `emptySince` (performance.now() when the asking began) */
  private empty = false;
  private emptySince = Number.NEGATIVE_INFINITY;
  /** moves with each of this process's own writes, so an answer asked for before one is not kept after it */
  private writes = 0;

  private constructor(options: PgDeadLetterStoreOptions) {
    if (!SCHEMA_NAME.test(options.schema)) {
      throw new RangeError(
        `dead letter schema ${JSON.stringify(options.schema)}: expected a lowercase identifier (${SCHEMA_NAME.source})`,
      );
    }
    this.schema = options.schema;
    this.table = `${quoteIdentifier(options.schema)}.dead_letters`;
    this.clock = options.clock;
    this.sql = statements(this.table);
    const statementTimeoutMs = options.statementTimeoutMs ?? 30_000;
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? DEFAULT_DEAD_LETTER_POOL_SIZE,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      idleTimeoutMillis: 30_000,
      statement_timeout: statementTimeoutMs,
      // the server ends a slow statement; this ends the wait when the server (or the network to it) is gone
      query_timeout: statementTimeoutMs + 10_000,
      keepAlive: true,
      application_name: 'commerce-dead-letters',
    });
    const onIdleError = options.onIdleError;
    this.pool.on('error', (error) => onIdleError?.(error));
  }

  /** Connects, creates the schema and table when missing and answers the store. */
  static async open(options: PgDeadLetterStoreOptions): Promise<PgDeadLetterStore> {
    const store = new PgDeadLetterStore(options);
    try {
      await migrateSchema(store.pool, store.schema, ddl(store.schema, store.table));
    } catch (error) {
      await store.pool.end().catch(() => undefined);
      throw error;
    }
    return store;
  }

  async record(letter: NewDeadLetter): Promise<DeadLetter> {
    const row = await this.write(async () => (await this.query(this.sql.record, this.values(letter)))[0]);
    if (row === undefined) throw new Error('dead letter insert returned no row');
    return toLetter(row);
  }

  async parkBehind(letter: NewDeadLetter): Promise<DeadLetter | undefined> {
    const row = await this.write(async () => (await this.query(this.sql.parkBehind, this.values(letter)))[0]);
    return row === undefined ? undefined : toLetter(row);
  }

  async get(id: number): Promise<DeadLetter | undefined> {
    if (!Number.isSafeInteger(id)) return undefined;
    const row = (await this.query(this.sql.get, [id]))[0];
    return row === undefined ? undefined : toLetter(row);
  }

  async list(filter: DeadLetterFilter = {}): Promise<readonly DeadLetter[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (filter.consumer !== undefined) {
      params.push(filter.consumer);
      where.push(`consumer = $${params.length}`);
    }
    if (filter.key !== undefined) {
      params.push(filter.key);
      where.push(`key = $${params.length}`);
    }
    params.push(filter.limit ?? 1_000);
    const sql = `SELECT * FROM ${this.table} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY id LIMIT $${params.length}`;
    return (await this.query(sql, params)).map(toLetter);
  }

  async oldest(consumer: string, key: string): Promise<DeadLetter | undefined> {
    const row = (await this.query(this.sql.oldest, [consumer, key]))[0];
    return row === undefined ? undefined : toLetter(row);
  }

  async isParked(consumer: string, key: string): Promise<boolean> {
    this.assertOpen();
    const asked = performance.now();
    if (this.empty && asked - this.emptySince < EMPTY_CHECK_MS) return false;
    const writes = this.writes;
    const { rows } = await this.pool
      .query<{ parked: boolean; held: boolean }>(this.sql.parked, [consumer, key])
      .catch(rethrowUnavailable);
    const row = rows[0];
    // an answer asked for before one of this process's writes finished may not have seen it: not kept
    if (writes === this.writes) {
      this.empty = row?.held !== true;
      this.emptySince = asked;
    }
    return row?.parked === true;
  }

  async failedAgain(id: number, error: string): Promise<void> {
    if (!Number.isSafeInteger(id)) return;
    await this.query(this.sql.failedAgain, [boundError(error), this.clock.now().toISOString(), id]);
  }

  async remove(id: number): Promise<boolean> {
    if (!Number.isSafeInteger(id)) return false;
    this.assertOpen();
    const result = await this.write(() => this.pool.query(this.sql.remove, [id]).catch(rethrowUnavailable));
    return (result.rowCount ?? 0) > 0;
  }

  async countByConsumer(): Promise<ReadonlyMap<string, number>> {
    this.assertOpen();
    const { rows } = await this.pool.query<{ consumer: string; n: string }>(this.sql.count).catch(rethrowUnavailable);
    return new Map(rows.map((r) => [r.consumer, Number(r.n)]));
  }

  /** Ends the pool (after the calls in flight); closing again waits for the same end. */
  close(): Promise<void> {
    this.ending ??= this.pool.end();
    return this.ending;
  }

  /** Runs one of this process's writes: the cached "holds no letter" is dropped before it starts and after it ends. */
  private async write<T>(run: () => Promise<T>): Promise<T> {
    this.assertOpen();
    this.forgetEmpty();
    try {
      return await run();
    } finally {
      this.forgetEmpty();
    }
  }

  private forgetEmpty(): void {
    this.writes += 1;
    this.empty = false;
    this.emptySince = Number.NEGATIVE_INFINITY;
  }

  private async query(sql: string, params: readonly unknown[]): Promise<Row[]> {
    this.assertOpen();
    const { rows } = await this.pool.query<Row>(sql, params as unknown[]).catch(rethrowUnavailable);
    return rows;
  }

  private assertOpen(): void {
    if (this.ending !== undefined) throw new Error('the dead letter store is closed');
  }

  private values(letter: NewDeadLetter): unknown[] {
    return deadLetterValues(letter, boundError(letter.error), this.clock.now().toISOString());
  }
}

export const openPgDeadLetterStore = (options: PgDeadLetterStoreOptions): Promise<PgDeadLetterStore> =>
  PgDeadLetterStore.open(options);
