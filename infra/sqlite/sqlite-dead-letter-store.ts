import Database from 'better-sqlite3';
import type { Clock } from '../ports/clock';
import type { Delivery } from '../ports/message-bus';

/**
 * Dead letters: inputs a consumer (the saga runner, a projection) could not handle after bounded retries. They are
 * kept with the event and the last error so an operator can retry or discard them (`commerce dlq`), while the
 * consumer goes on with everything else.
 *
 * `key` is the consumer's ordering unit (a saga id, a read-model document): once a key has a dead letter, later
 * inputs of the same key are parked behind it, so a retry replays them in their original order.
 */
export interface DeadLetterEvent {
  readonly eventId: string;
  readonly streamId: string;
  /** null for inputs that are not stored events (a timer firing, a fed-back rejection) */
  readonly revision: number | null;
  readonly position: number | null;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: unknown;
  /** where the bus delivered it from, so a retry can hand it over exactly as delivered */
  readonly source: string | null;
  readonly sequence: number | null;
}

export interface NewDeadLetter {
  readonly consumer: string;
  readonly key: string;
  readonly event: DeadLetterEvent;
  readonly error: string;
  /** attempts made by this failure (added to earlier ones for the same event) */
  readonly attempts: number;
}

export interface DeadLetter extends NewDeadLetter {
  readonly id: number;
  readonly firstFailedAt: string;
  readonly lastFailedAt: string;
}

export interface DeadLetterFilter {
  readonly consumer?: string;
  readonly key?: string;
  readonly limit?: number;
}

export interface DeadLetterStore {
  /** records a failure; the same (consumer, key, event) again counts as more attempts on the same letter */
  record(letter: NewDeadLetter): DeadLetter;
  get(id: number): DeadLetter | undefined;
  list(filter?: DeadLetterFilter): readonly DeadLetter[];
  /** the oldest letter of a key, which every later one of the key waits behind */
  oldest(consumer: string, key: string): DeadLetter | undefined;
  /** true when the key has a letter, so its new inputs must wait behind it */
  isParked(consumer: string, key: string): boolean;
  /**
   * Records `letter` only if its key already has a letter (in one statement, so a concurrent retry that empties
   * the key either sees this letter or lets the input through); undefined when the key was not parked.
   */
  parkBehind(letter: NewDeadLetter): DeadLetter | undefined;
  /** records another failed retry */
  failedAgain(id: number, error: string): void;
  remove(id: number): boolean;
  countByConsumer(): ReadonlyMap<string, number>;
  close(): void;
}

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

  constructor(
    path: string,
    private readonly clock: Clock,
  ) {
    this.db = new Database(path, { timeout: 5_000 });
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(SCHEMA);
    } catch (error) {
      this.db.close();
      throw error;
    }
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
  }

  record(letter: NewDeadLetter): DeadLetter {
    const row = this.insertStmt.get(...this.values(letter));
    if (row === undefined) throw new Error('dead letter insert returned no row');
    return toLetter(row);
  }

  parkBehind(letter: NewDeadLetter): DeadLetter | undefined {
    const row = this.parkStmt.get(...this.values(letter), letter.consumer, letter.key);
    return row === undefined ? undefined : toLetter(row);
  }

  private values(letter: NewDeadLetter): unknown[] {
    const now = this.clock.now().toISOString();
    const { event } = letter;
    return [
      letter.consumer,
      letter.key,
      event.eventId,
      event.streamId,
      event.revision,
      event.position,
      event.type,
      JSON.stringify(event.data ?? null),
      JSON.stringify(event.metadata ?? null),
      event.source,
      event.sequence,
      letter.error.slice(0, MAX_ERROR_CHARS),
      letter.attempts,
      now,
      now,
    ];
  }

  get(id: number): DeadLetter | undefined {
    const row = this.getStmt.get(id);
    return row === undefined ? undefined : toLetter(row);
  }

  list(filter: DeadLetterFilter = {}): readonly DeadLetter[] {
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
    return this.db
      .prepare<(string | number)[], Row>(sql)
      .all(...params)
      .map(toLetter);
  }

  oldest(consumer: string, key: string): DeadLetter | undefined {
    const row = this.oldestStmt.get(consumer, key);
    return row === undefined ? undefined : toLetter(row);
  }

  isParked(consumer: string, key: string): boolean {
    return this.parkedStmt.get(consumer, key) !== undefined;
  }

  failedAgain(id: number, error: string): void {
    this.failedStmt.run(error.slice(0, MAX_ERROR_CHARS), this.clock.now().toISOString(), id);
  }

  remove(id: number): boolean {
    return this.removeStmt.run(id).changes > 0;
  }

  countByConsumer(): ReadonlyMap<string, number> {
    return new Map(this.countStmt.all().map((r) => [r.consumer, r.n]));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

export const openSqliteDeadLetterStore = (path: string, clock: Clock): SqliteDeadLetterStore =>
  new SqliteDeadLetterStore(path, clock);

export const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/** A delivered event as a dead letter's payload. */
export const deadLetterEventOf = (delivery: Delivery): DeadLetterEvent => ({
  eventId: delivery.event.eventId,
  streamId: delivery.event.streamId,
  revision: delivery.event.revision,
  position: delivery.event.position,
  type: delivery.event.type,
  data: delivery.event.data,
  metadata: delivery.event.metadata,
  source: delivery.source,
  sequence: delivery.sequence,
});

export interface DeadLetterPolicy {
  /** consumer name recorded with the letter, e.g. `projection:orders` */
  readonly consumer: string;
  readonly store: DeadLetterStore;
  /** attempts per batch, and again per single delivery once the batch kept failing */
  readonly attempts: number;
  /** the ordering unit: later deliveries of a key with a letter are parked behind it */
  readonly keyOf: (delivery: Delivery) => string;
  /** waits between attempts; defaults to none (a retry right away still catches a transient conflict) */
  readonly pause?: (attempt: number) => Promise<void>;
  readonly onDeadLetter?: (letter: DeadLetter) => void;
}

/**
 * For a batch consumer such as a projection worker: try the batch a bounded number of times; if it keeps failing,
 * go through it one delivery at a time, so only the deliveries that really fail (and those of the same key after
 * them) become dead letters, and everything else is applied. Resolves once the batch is fully dealt with, so the
 * bus may advance.
 */
export const handleWithDeadLetters = async (
  batch: readonly Delivery[],
  handle: (batch: readonly Delivery[]) => Promise<void>,
  policy: DeadLetterPolicy,
): Promise<void> => {
  const anyParked = batch.some((d) => policy.store.isParked(policy.consumer, policy.keyOf(d)));
  if (!anyParked && (await attempt(() => handle(batch), policy)) === undefined) return;
  for (const delivery of batch) {
    const key = policy.keyOf(delivery);
    const parked = policy.store.parkBehind({
      consumer: policy.consumer,
      key,
      event: deadLetterEventOf(delivery),
      error: `parked behind an earlier dead letter of ${key}`,
      attempts: 0,
    });
    if (parked !== undefined) {
      policy.onDeadLetter?.(parked);
      continue;
    }
    const error = await attempt(() => handle([delivery]), policy);
    if (error === undefined) continue;
    const letter = policy.store.record({
      consumer: policy.consumer,
      key,
      event: deadLetterEventOf(delivery),
      error,
      attempts: policy.attempts,
    });
    policy.onDeadLetter?.(letter);
  }
};

/** undefined on success, else the last error */
const attempt = async (run: () => Promise<void>, policy: DeadLetterPolicy): Promise<string | undefined> => {
  let last = 'no attempt made';
  for (let n = 1; n <= Math.max(1, policy.attempts); n++) {
    try {
      await run();
      return undefined;
    } catch (error) {
      last = describeError(error);
      if (n < policy.attempts) await policy.pause?.(n);
    }
  }
  return last;
};
