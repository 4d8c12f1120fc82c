import type Database from 'better-sqlite3';
import { deadLetterValues } from '../dead-letter-rows';
import { openWalDatabase } from './database';
import type { Clock } from '../../ports/clock';
import type { DeadLetter, DeadLetterFilter, DeadLetterStore, NewDeadLetter } from '../../ports/dead-letters';

interface Row {
  readonly id: number;
  readonly consumer: string;
  readonly key: string;
  readonly event_id: string;
  readonly stream_id: string;
  readonly revision: number | null;
  readonly position: number | null;
  readonly event_type: string;
  readonly event_data: string;
  readonly metadata: string;
  readonly source: string | null;
  readonly sequence: number | null;
  readonly error: string;
  readonly attempts: number;
  readonly first_failed_at: string;
  readonly last_failed_at: string;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS dead_letters (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    consumer        TEXT    NOT NULL,
    key             TEXT    NOT NULL,
    event_id        TEXT    NOT NULL,
    stream_id       TEXT    NOT NULL,
    revision        INTEGER,
    position        INTEGER,
    event_type      TEXT    NOT NULL,
    event_data      TEXT    NOT NULL,
    metadata        TEXT    NOT NULL,
    source          TEXT,
    sequence        INTEGER,
    error           TEXT    NOT NULL,
    attempts        INTEGER NOT NULL,
    first_failed_at TEXT    NOT NULL,
    last_failed_at  TEXT    NOT NULL,
    UNIQUE (consumer, key, event_id)
  );
  CREATE INDEX IF NOT EXISTS dead_letters_by_key ON dead_letters (consumer, key, id);
`;

/** Errors are kept short: a stack trace belongs in the logs, the letter needs the reason. */
const MAX_ERROR_CHARS = 2_000;

const parse = (json: string): unknown => JSON.parse(json) as unknown;

const toLetter = (row: Row): DeadLetter => ({
  id: row.id,
  consumer: row.consumer,
  key: row.key,
  event: {
    eventId: row.event_id,
    streamId: row.stream_id,
    revision: row.revision,
    position: row.position,
    type: row.event_type,
    data: parse(row.event_data),
    metadata: parse(row.metadata),
    source: row.source,
    sequence: row.sequence,
  },
  error: row.error,
  attempts: row.attempts,
  firstFailedAt: row.first_failed_at,
  lastFailedAt: row.last_failed_at,
});

/** How often `isParked` looks for commits by other connections (see `holdsNone`). */
const VERSION_CHECK_MS = 5;

/** Dead letters in one SQLite file (WAL), safe to share between the engine and the `commerce dlq` CLI. */
export class SqliteDeadLetterStore implements DeadLetterStore {
  private readonly db: Database.Database;
  private readonly insertStmt: Database.Statement<unknown[], Row>;
  private readonly getStmt: Database.Statement<[number], Row>;
  private readonly oldestStmt: Database.Statement<[string, string], Row>;
  private readonly parkedStmt: Database.Statement<[string, string], number>;
  private readonly parkStmt: Database.Statement<unknown[], Row>;
  private readonly failedStmt: Database.Statement<[string, string, number]>;
  private readonly removeStmt: Database.Statement<[number]>;
  private readonly countStmt: Database.Statement<[], { consumer: string; n: number }>;
  private readonly anyStmt: Database.Statement<[], number>;
  private readonly dataVersionStmt: Database.Statement<[], number>;
  /** whether the file holds no letter at all, as of `seenVersion` and this connection's own writes */
  private empty: boolean | undefined;
  private seenVersion = -1;
  private versionCheckedAt = Number.NEGATIVE_INFINITY;

  constructor(
    path: string,
    private readonly clock: Clock,
  ) {
    this.db = openWalDatabase(path, {}, (db) => {
      db.exec(SCHEMA);
    });
    this.insertStmt = this.db.prepare<unknown[], Row>(
      `INSERT INTO dead_letters (consumer, key, event_id, stream_id, revision, position, event_type, event_data,
         metadata, source, sequence, error, attempts, first_failed_at, last_failed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (consumer, key, event_id) DO UPDATE SET
         error = excluded.error, attempts = attempts + excluded.attempts, last_failed_at = excluded.last_failed_at
       RETURNING *`,
    );
    this.getStmt = this.db.prepare<[number], Row>('SELECT * FROM dead_letters WHERE id = ?');
    this.oldestStmt = this.db.prepare<[string, string], Row>(
      'SELECT * FROM dead_letters WHERE consumer = ? AND key = ? ORDER BY id LIMIT 1',
    );
    this.parkedStmt = this.db
      .prepare<[string, string], number>('SELECT 1 FROM dead_letters WHERE consumer = ? AND key = ? LIMIT 1')
      .pluck();
    this.parkStmt = this.db.prepare<unknown[], Row>(
      `INSERT INTO dead_letters (consumer, key, event_id, stream_id, revision, position, event_type, event_data,
         metadata, source, sequence, error, attempts, first_failed_at, last_failed_at)
       SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
       WHERE EXISTS (SELECT 1 FROM dead_letters WHERE consumer = ? AND key = ?)
       ON CONFLICT (consumer, key, event_id) DO UPDATE SET
         error = excluded.error, attempts = attempts + excluded.attempts, last_failed_at = excluded.last_failed_at
       RETURNING *`,
    );
    this.failedStmt = this.db.prepare<[string, string, number]>(
      'UPDATE dead_letters SET error = ?, attempts = attempts + 1, last_failed_at = ? WHERE id = ?',
    );
    this.removeStmt = this.db.prepare<[number]>('DELETE FROM dead_letters WHERE id = ?');
    this.countStmt = this.db.prepare<[], { consumer: string; n: number }>(
      'SELECT consumer, count(*) AS n FROM dead_letters GROUP BY consumer',
    );
    this.anyStmt = this.db.prepare<[], number>('SELECT 1 FROM dead_letters LIMIT 1').pluck();
    this.dataVersionStmt = this.db.prepare<[], number>('PRAGMA data_version').pluck();
  }

  /**
   * True while the file holds no letter: asked before every saga input, and almost always so. This connection's own
   * writes reset the answer; `data_version`, which moves when another connection (the `commerce dlq` CLI) commits, is
   * looked at once per VERSION_CHECK_MS, so another process's letter counts here within that time.
   */
  private holdsNone(): boolean {
    const now = performance.now();
    if (now - this.versionCheckedAt >= VERSION_CHECK_MS) {
      this.versionCheckedAt = now;
      const version = this.dataVersionStmt.get() ?? 0;
      if (version !== this.seenVersion) {
        this.seenVersion = version;
        this.empty = undefined;
      }
    }
    this.empty ??= this.anyStmt.get() === undefined;
    return this.empty;
  }

  record(letter: NewDeadLetter): Promise<DeadLetter> {
    this.empty = undefined;
    const row = this.insertStmt.get(...this.values(letter));
    if (row === undefined) return Promise.reject(new Error('dead letter insert returned no row'));
    return Promise.resolve(toLetter(row));
  }

  parkBehind(letter: NewDeadLetter): Promise<DeadLetter | undefined> {
    this.empty = undefined;
    const row = this.parkStmt.get(...this.values(letter), letter.consumer, letter.key);
    return Promise.resolve(row === undefined ? undefined : toLetter(row));
  }

  private values(letter: NewDeadLetter): unknown[] {
    return deadLetterValues(letter, letter.error.slice(0, MAX_ERROR_CHARS), this.clock.now().toISOString());
  }

  get(id: number): Promise<DeadLetter | undefined> {
    const row = this.getStmt.get(id);
    return Promise.resolve(row === undefined ? undefined : toLetter(row));
  }

  list(filter: DeadLetterFilter = {}): Promise<readonly DeadLetter[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (filter.consumer !== undefined) {
      where.push('consumer = ?');
      params.push(filter.consumer);
    }
    if (filter.key !== undefined) {
      where.push('key = ?');
      params.push(filter.key);
    }
    params.push(filter.limit ?? 1_000);
    const sql = `SELECT * FROM dead_letters ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`;
    return Promise.resolve(
      this.db
        .prepare<(string | number)[], Row>(sql)
        .all(...params)
        .map(toLetter),
    );
  }

  oldest(consumer: string, key: string): Promise<DeadLetter | undefined> {
    const row = this.oldestStmt.get(consumer, key);
    return Promise.resolve(row === undefined ? undefined : toLetter(row));
  }

  isParked(consumer: string, key: string): Promise<boolean> {
    return Promise.resolve(!this.holdsNone() && this.parkedStmt.get(consumer, key) !== undefined);
  }

  failedAgain(id: number, error: string): Promise<void> {
    this.failedStmt.run(error.slice(0, MAX_ERROR_CHARS), this.clock.now().toISOString(), id);
    return Promise.resolve();
  }

  remove(id: number): Promise<boolean> {
    this.empty = undefined;
    return Promise.resolve(this.removeStmt.run(id).changes > 0);
  }

  countByConsumer(): Promise<ReadonlyMap<string, number>> {
    return Promise.resolve(new Map(this.countStmt.all().map((r) => [r.consumer, r.n])));
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }
}

export const openSqliteDeadLetterStore = (path: string, clock: Clock): SqliteDeadLetterStore =>
  new SqliteDeadLetterStore(path, clock);
