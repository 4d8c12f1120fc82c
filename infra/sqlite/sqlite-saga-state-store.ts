import { randomUUID } from 'node:crypto';
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

interface StepRow {
  readonly id: string;
  readonly saga: SagaName;
  readonly saga_id: string;
  readonly first_rev: number;
  readonly last_rev: number;
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
  CREATE TABLE IF NOT EXISTS saga_timer_revisions (
    saga_id  TEXT    PRIMARY KEY,
    revision INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS saga_steps (
    id           TEXT    PRIMARY KEY,
    saga         TEXT    NOT NULL,
    saga_id      TEXT    NOT NULL,
    first_rev    INTEGER NOT NULL,
    last_rev     INTEGER NOT NULL,
    announced_ms INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS saga_steps_age ON saga_steps (announced_ms);
  CREATE TABLE IF NOT EXISTS saga_meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;
`;

/** Files written before the dispatch log had a row per step kept one row per saga: each becomes one step. */
const MIGRATE_SAGA_DISPATCH = `
  INSERT OR IGNORE INTO saga_steps (id, saga, saga_id, first_rev, last_rev, announced_ms)
    SELECT 'migrated:' || saga_id, saga, saga_id, dispatched + 1, appended, 0 FROM saga_dispatch;
  DROP TABLE saga_dispatch;
`;

const toTimer = (row: TimerRow): Timer => ({
  saga: row.saga,
  sagaId: row.saga_id,
  deadlineId: row.deadline_id,
  kind: row.kind,
  dueAt: row.due_at,
  dueMs: row.due_ms,
});

const toStep = (row: StepRow): PendingDispatch => ({
  id: row.id,
  saga: row.saga,
  sagaId: row.saga_id,
  first: row.first_rev,
  last: row.last_rev,
});

/**
 * The saga runner's state (ports/saga-state.ts) in one SQLite file (WAL) that only its runner uses, writes batched by
 * GroupCommit. Timer claims stay in memory: with one runner they need not outlive it.
 */
export class SqliteSagaStateStore implements SagaStateStore {
  readonly exclusive = true;
  private readonly db: Database.Database;
  private readonly timersOfStmt: Database.Statement<[string], TimerRow>;
  private readonly deleteTimersStmt: Database.Statement<[string]>;
  private readonly insertTimerStmt: Database.Statement<[string, string, string, string, string, number]>;
  private readonly timerRevisionStmt: Database.Statement<[string, number]>;
  private readonly forgetRevisionStmt: Database.Statement<[string, number]>;
  private readonly dueStmt: Database.Statement<[number, number], TimerRow>;
  private readonly removeTimerStmt: Database.Statement<[string, string, number]>;
  private readonly countTimersStmt: Database.Statement<[], number>;
  private readonly announceStmt: Database.Statement<[string, string, string, number, number, number]>;
  private readonly finishStmt: Database.Statement<[string]>;
  private readonly staleStmt: Database.Statement<[number, number], StepRow>;
  private readonly touchStmt: Database.Statement<[number, string]>;
  private readonly countStepsStmt: Database.Statement<[], number>;
  private readonly metaStmt: Database.Statement<[string], string>;
  private readonly setMetaStmt: Database.Statement<[string, string]>;
  private readonly writer: GroupCommit<() => void, void>;
  /** `<saga id>/<deadline id>@<due ms>` → claimed until (ms): a deadline set again for another time is a new timer */
  private readonly claims = new Map<string, number>();

  constructor(path: string, options: WalDatabaseOptions = {}) {
    this.db = openWalDatabase(path, options, (db) => {
      db.exec(SCHEMA);
      const old = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'saga_dispatch'").get();
      if (old !== undefined) db.exec(MIGRATE_SAGA_DISPATCH);
    });
    const db = this.db;
    this.timersOfStmt = db.prepare<[string], TimerRow>('SELECT * FROM saga_timers WHERE saga_id = ? ORDER BY due_ms');
    this.deleteTimersStmt = db.prepare<[string]>('DELETE FROM saga_timers WHERE saga_id = ?');
    this.insertTimerStmt = db.prepare(
      'INSERT INTO saga_timers (saga, saga_id, deadline_id, kind, due_at, due_ms) VALUES (?, ?, ?, ?, ?, ?)',
    );
    // changes only when no later revision wrote the saga's timers before
    this.timerRevisionStmt = db.prepare<[string, number]>(
      `INSERT INTO saga_timer_revisions (saga_id, revision) VALUES (?, ?)
       ON CONFLICT (saga_id) DO UPDATE SET revision = excluded.revision WHERE revision < excluded.revision`,
    );
    // a saga without deadlines needs no revision kept: a late older write may add back stale timers, which fire
    // and are ignored, but it can never remove a newer one
    this.forgetRevisionStmt = db.prepare<[string, number]>(
      'DELETE FROM saga_timer_revisions WHERE saga_id = ? AND revision = ?',
    );
    this.dueStmt = db.prepare<[number, number], TimerRow>(
      'SELECT * FROM saga_timers WHERE due_ms <= ? ORDER BY due_ms, saga_id, deadline_id LIMIT ?',
    );
    this.removeTimerStmt = db.prepare<[string, string, number]>(
      'DELETE FROM saga_timers WHERE saga_id = ? AND deadline_id = ? AND due_ms = ?',
    );
    this.countTimersStmt = db.prepare<[], number>('SELECT count(*) FROM saga_timers').pluck();
    this.announceStmt = db.prepare(
      'INSERT INTO saga_steps (id, saga, saga_id, first_rev, last_rev, announced_ms) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.finishStmt = db.prepare<[string]>('DELETE FROM saga_steps WHERE id = ?');
    this.staleStmt = db.prepare<[number, number], StepRow>(
      'SELECT * FROM saga_steps WHERE announced_ms < ? ORDER BY announced_ms, id LIMIT ?',
    );
    this.touchStmt = db.prepare<[number, string]>('UPDATE saga_steps SET announced_ms = ? WHERE id = ?');
    this.countStepsStmt = db.prepare<[], number>('SELECT count(*) FROM saga_steps').pluck();
    this.metaStmt = db.prepare<[string], string>('SELECT value FROM saga_meta WHERE name = ?').pluck();
    this.setMetaStmt = db.prepare<[string, string]>(
      'INSERT INTO saga_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
    );
    this.writer = new GroupCommit(db, (write: () => void) => {
      write();
    });
  }

  replaceTimers(saga: SagaName, sagaId: string, revision: number, deadlines: readonly Deadline[]): Promise<void> {
    const rows = deadlines.map((d) => [saga, sagaId, d.deadlineId, d.kind, d.dueAt, Date.parse(d.dueAt)] as const);
    this.writer.enqueue(() => {
      if (this.timerRevisionStmt.run(sagaId, revision).changes === 0) return;
      this.deleteTimersStmt.run(sagaId);
      for (const row of rows) this.insertTimerStmt.run(...row);
      if (rows.length === 0) this.forgetRevisionStmt.run(sagaId, revision);
    });
    return Promise.resolve();
  }

  claimDueTimers(nowMs: number, limit: number, claimMs: number): Promise<readonly Timer[]> {
    this.flush();
    for (const [key, until] of this.claims) if (until <= nowMs) this.claims.delete(key);
    // claimed timers are skipped: read past them, so they never hide due ones behind them
    const due = this.dueStmt.all(nowMs, limit + this.claims.size).map(toTimer);
    const claimed: Timer[] = [];
    for (const timer of due) {
      const key = `${timer.sagaId}/${timer.deadlineId}@${timer.dueMs}`;
      if (this.claims.has(key) || claimed.length >= limit) continue;
      this.claims.set(key, nowMs + claimMs);
      claimed.push(timer);
    }
    return Promise.resolve(claimed);
  }

  removeTimer(sagaId: string, deadlineId: string, dueMs: number): Promise<void> {
    this.claims.delete(`${sagaId}/${deadlineId}@${dueMs}`);
    this.writer.enqueue(() => {
      this.removeTimerStmt.run(sagaId, deadlineId, dueMs);
    });
    return Promise.resolve();
  }

  timersOf(sagaId: string): Promise<readonly Timer[]> {
    this.flush();
    return Promise.resolve(this.timersOfStmt.all(sagaId).map(toTimer));
  }

  timerCount(): Promise<number> {
    this.flush();
    return Promise.resolve(this.countTimersStmt.get() ?? 0);
  }

  async announceStep(saga: SagaName, sagaId: string, first: number, last: number): Promise<string> {
    const id = randomUUID();
    const now = Date.now();
    // durable before the append it announces, in one commit with the others of this turn
    await this.writer.submit(() => {
      this.announceStmt.run(id, saga, sagaId, first, last, now);
    });
    return id;
  }

  finishStep(id: string): Promise<void> {
    this.writer.enqueue(() => {
      this.finishStmt.run(id);
    });
    return Promise.resolve();
  }

  claimStaleSteps(announcedBeforeMs: number, limit: number, nowMs: number): Promise<readonly PendingDispatch[]> {
    this.flush();
    const rows = this.staleStmt.all(announcedBeforeMs, limit);
    this.writer.writeNow(() => {
      for (const row of rows) this.touchStmt.run(nowMs, row.id);
    });
    return Promise.resolve(rows.map(toStep));
  }

  touchSteps(ids: readonly string[], nowMs: number): Promise<void> {
    if (ids.length > 0) {
      this.writer.enqueue(() => {
        for (const id of ids) this.touchStmt.run(nowMs, id);
      });
    }
    return Promise.resolve();
  }

  pendingSteps(): Promise<number> {
    this.flush();
    return Promise.resolve(this.countStepsStmt.get() ?? 0);
  }

  isInitialized(): Promise<boolean> {
    this.flush();
    return Promise.resolve(this.metaStmt.get('initialized') !== undefined);
  }

  markInitialized(): Promise<void> {
    this.writer.writeNow(() => {
      this.setMetaStmt.run('initialized', 'yes');
    });
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (!this.db.open) return Promise.resolve();
    try {
      this.writer.flush();
    } finally {
      this.db.close();
      this.writer.abandon(new Error('the saga state store is closed'));
    }
    return Promise.resolve();
  }

  /** Reads see every write made before them, queued ones included. */
  private flush(): void {
    this.writer.flush();
  }
}

export const openSqliteSagaStateStore = (path: string, options: WalDatabaseOptions = {}): SqliteSagaStateStore =>
  new SqliteSagaStateStore(path, options);
