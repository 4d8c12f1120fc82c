import type Database from 'better-sqlite3';
import { openWalDatabase, type WalDatabaseOptions } from './database';
import type { Deadline, SagaName } from '../../domain/sagas';
import type { PendingDispatch, SagaStateStore, Timer } from '../../ports/saga-state';
import { GroupCommit } from './group-commit';

interface TimerRow {
  readonly saga: SagaName;
  readonly saga_id: string;
  readonly deadline_id: string;
  readonly kind: string;
  readonly due_at: string;
  readonly due_ms: number;
}

interface DispatchRow {
  readonly saga: SagaName;
  readonly saga_id: string;
  readonly appended: number;
  readonly dispatched: number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS saga_timers (
    saga        TEXT    NOT NULL,
    saga_id     TEXT    NOT NULL,
    deadline_id TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    due_at      TEXT    NOT NULL,
    due_ms      INTEGER NOT NULL,
    PRIMARY KEY (saga_id, deadline_id)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS saga_timers_due ON saga_timers (due_ms);
  CREATE TABLE IF NOT EXISTS saga_dispatch (
    saga_id    TEXT    PRIMARY KEY,
    saga       TEXT    NOT NULL,
    appended   INTEGER NOT NULL,
    dispatched INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS saga_meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;
`;

const toTimer = (row: TimerRow): Timer => ({
  saga: row.saga,
  sagaId: row.saga_id,
  deadlineId: row.deadline_id,
  kind: row.kind,
  dueAt: row.due_at,
  dueMs: row.due_ms,
});

/** The saga runner's state (ports/saga-state.ts) in one SQLite file (WAL), writes batched by GroupCommit. */
export class SqliteSagaStateStore implements SagaStateStore {
  private readonly db: Database.Database;
  private readonly timersOfStmt: Database.Statement<[string], TimerRow>;
  private readonly deleteTimersStmt: Database.Statement<[string]>;
  private readonly insertTimerStmt: Database.Statement<[string, string, string, string, string, number]>;
  private readonly dueStmt: Database.Statement<[number, number], TimerRow>;
  private readonly removeTimerStmt: Database.Statement<[string, string, number]>;
  private readonly countTimersStmt: Database.Statement<[], number>;
  private readonly announceStmt: Database.Statement<[string, string, number, number]>;
  private readonly dispatchedStmt: Database.Statement<[number, string]>;
  private readonly settledStmt: Database.Statement<[string, number]>;
  private readonly pendingStmt: Database.Statement<[], DispatchRow>;
  private readonly clearStmt: Database.Statement<[string]>;
  private readonly metaStmt: Database.Statement<[string], string>;
  private readonly setMetaStmt: Database.Statement<[string, string]>;
  private readonly writer: GroupCommit<() => void, void>;

  constructor(path: string, options: WalDatabaseOptions = {}) {
    this.db = openWalDatabase(path, options, (db) => {
      db.exec(SCHEMA);
    });
    const db = this.db;
    this.timersOfStmt = db.prepare<[string], TimerRow>('SELECT * FROM saga_timers WHERE saga_id = ? ORDER BY due_ms');
    this.deleteTimersStmt = db.prepare<[string]>('DELETE FROM saga_timers WHERE saga_id = ?');
    this.insertTimerStmt = db.prepare(
      'INSERT INTO saga_timers (saga, saga_id, deadline_id, kind, due_at, due_ms) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.dueStmt = db.prepare<[number, number], TimerRow>(
      'SELECT * FROM saga_timers WHERE due_ms <= ? ORDER BY due_ms, saga_id, deadline_id LIMIT ?',
    );
    this.removeTimerStmt = db.prepare<[string, string, number]>(
      'DELETE FROM saga_timers WHERE saga_id = ? AND deadline_id = ? AND due_ms = ?',
    );
    this.countTimersStmt = db.prepare<[], number>('SELECT count(*) FROM saga_timers').pluck();
    // no row means everything before was dispatched, so a new row starts at the saga's current revision
    this.announceStmt = db.prepare<[string, string, number, number]>(
      `INSERT INTO saga_dispatch (saga_id, saga, dispatched, appended) VALUES (?, ?, ?, ?)
       ON CONFLICT (saga_id) DO UPDATE SET appended = max(appended, excluded.appended)`,
    );
    this.dispatchedStmt = db.prepare<[number, string]>(
      'UPDATE saga_dispatch SET dispatched = max(dispatched, ?) WHERE saga_id = ?',
    );
    // the usual case, a row whose every announced event is now dispatched, in one statement
    this.settledStmt = db.prepare<[string, number]>(
      'DELETE FROM saga_dispatch WHERE saga_id = ? AND appended <= max(dispatched, ?)',
    );
    this.pendingStmt = db.prepare<[], DispatchRow>('SELECT * FROM saga_dispatch ORDER BY saga_id');
    this.clearStmt = db.prepare<[string]>('DELETE FROM saga_dispatch WHERE saga_id = ?');
    this.metaStmt = db.prepare<[string], string>('SELECT value FROM saga_meta WHERE name = ?').pluck();
    this.setMetaStmt = db.prepare<[string, string]>(
      'INSERT INTO saga_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
    );
    this.writer = new GroupCommit(db, (write: () => void) => {
      write();
    });
  }

  replaceTimers(saga: SagaName, sagaId: string, deadlines: readonly Deadline[]): void {
    const rows = deadlines.map((d) => [saga, sagaId, d.deadlineId, d.kind, d.dueAt, Date.parse(d.dueAt)] as const);
    this.writer.enqueue(() => {
      this.deleteTimersStmt.run(sagaId);
      for (const row of rows) this.insertTimerStmt.run(...row);
    });
  }

  dueTimers(nowMs: number, limit: number): readonly Timer[] {
    this.flush();
    return this.dueStmt.all(nowMs, limit).map(toTimer);
  }

  removeTimer(sagaId: string, deadlineId: string, dueMs: number): void {
    this.writer.enqueue(() => {
      this.removeTimerStmt.run(sagaId, deadlineId, dueMs);
    });
  }

  timersOf(sagaId: string): readonly Timer[] {
    this.flush();
    return this.timersOfStmt.all(sagaId).map(toTimer);
  }

  timerCount(): number {
    this.flush();
    return this.countTimersStmt.get() ?? 0;
  }

  announceAppend(saga: SagaName, sagaId: string, current: number, upTo: number): void {
    // durable before the append it announces, in one commit with whatever was queued
    this.writer.writeNow(() => {
      this.announceStmt.run(sagaId, saga, current, upTo);
    });
  }

  announceAppendSoon(saga: SagaName, sagaId: string, current: number, upTo: number): Promise<void> {
    return this.writer.submit(() => {
      this.announceStmt.run(sagaId, saga, current, upTo);
    });
  }

  markDispatched(sagaId: string, upTo: number): void {
    this.writer.enqueue(() => {
      if (this.settledStmt.run(sagaId, upTo).changes === 0) this.dispatchedStmt.run(upTo, sagaId);
    });
  }

  pendingDispatches(): readonly PendingDispatch[] {
    this.flush();
    return this.pendingStmt
      .all()
      .map((r) => ({ saga: r.saga, sagaId: r.saga_id, appended: r.appended, dispatched: r.dispatched }));
  }

  clearDispatch(sagaId: string): void {
    this.writer.writeNow(() => {
      this.clearStmt.run(sagaId);
    });
  }

  isInitialized(): boolean {
    this.flush();
    return this.metaStmt.get('initialized') !== undefined;
  }

  markInitialized(): void {
    this.writer.writeNow(() => {
      this.setMetaStmt.run('initialized', 'yes');
    });
  }

  close(): void {
    if (!this.db.open) return;
    try {
      this.writer.flush();
    } finally {
      this.db.close();
      this.writer.abandon(new Error('the saga state store is closed'));
    }
  }

  /** Reads see every write made before them, queued ones included. */
  private flush(): void {
    this.writer.flush();
  }
}

export const openSqliteSagaStateStore = (path: string, options: WalDatabaseOptions = {}): SqliteSagaStateStore =>
  new SqliteSagaStateStore(path, options);
