import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Deadline, SagaName } from '../../domain/sagas';
import type { PendingDispatch, SagaStateStore, Timer } from '../../ports/saga-state';
import { quoteIdentifier } from './pg-event-schema';
import { migrateSchema } from './pg-migrate';
import { rethrowUnavailable } from './pg-unavailable';
import { prepared } from './pg-prepared';

export interface PgSagaStateStoreOptions {
  readonly url: string;
  /** the schema of its tables, created when missing; the event store's, so saga state sits beside the saga streams */
  readonly schema: string;
  /** default 4 */
  readonly maxConnections?: number;
  readonly onIdleError?: (error: Error) => void;
}

interface TimerRow {
  readonly saga: SagaName;
  readonly saga_id: string;
  readonly deadline_id: string;
  readonly kind: string;
  readonly due_at: string;
  readonly due_ms: string;
}

interface StepRow {
  readonly id: string;
  readonly saga: SagaName;
  readonly saga_id: string;
  readonly first_rev: string;
  readonly last_rev: string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,50}$/;

const toTimer = (row: TimerRow): Timer => ({
  saga: row.saga,
  sagaId: row.saga_id,
  deadlineId: row.deadline_id,
  kind: row.kind,
  dueAt: row.due_at,
  dueMs: Number(row.due_ms),
});

const toStep = (row: StepRow): PendingDispatch => ({
  id: row.id,
  saga: row.saga,
  sagaId: row.saga_id,
  first: Number(row.first_rev),
  last: Number(row.last_rev),
});

const tablesOf = (schema: string) => {
  if (!SCHEMA_NAME.test(schema)) {
    throw new RangeError(`saga state schema "${schema}": expected a lowercase identifier ([a-z_][a-z0-9_]*, ≤ 51)`);
  }
  const q = quoteIdentifier(schema);
  return {
    schema: q,
    timers: `${q}.saga_timers`,
    revisions: `${q}.saga_timer_revisions`,
    steps: `${q}.saga_steps`,
    meta: `${q}.saga_meta`,
  };
};

const ddl = (t: ReturnType<typeof tablesOf>): string => `
  CREATE SCHEMA IF NOT EXISTS ${t.schema};
  CREATE TABLE IF NOT EXISTS ${t.timers} (
    saga          text   NOT NULL,
    saga_id       text   NOT NULL,
    deadline_id   text   NOT NULL,
    kind          text   NOT NULL,
    due_at        text   NOT NULL,
    due_ms        bigint NOT NULL,
    claimed_until bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (saga_id, deadline_id)
  );
  CREATE INDEX IF NOT EXISTS saga_timers_due ON ${t.timers} (due_ms);
  CREATE TABLE IF NOT EXISTS ${t.revisions} (
    saga_id  text   PRIMARY KEY,
    revision bigint NOT NULL
  );
  CREATE TABLE IF NOT EXISTS ${t.steps} (
    id           text   PRIMARY KEY,
    saga         text   NOT NULL,
    saga_id      text   NOT NULL,
    first_rev    bigint NOT NULL,
    last_rev     bigint NOT NULL,
    announced_ms bigint NOT NULL
  );
  CREATE INDEX IF NOT EXISTS saga_steps_age ON ${t.steps} (announced_ms);
  CREATE TABLE IF NOT EXISTS ${t.meta} (
    name  text PRIMARY KEY,
    value text NOT NULL
  );
`;

/**
 * The saga runners' shared state (ports/saga-state.ts) in PostgreSQL, beside the event store's tables: every runner of
 * a group reads and writes the same timers and dispatch log, so any of them continues any saga. Timer claims and
 * stale steps are taken with `FOR UPDATE SKIP LOCKED`, so two runners never take the same row at once.
 */
export class PgSagaStateStore implements SagaStateStore {
  readonly exclusive = false;
  private readonly pool: pg.Pool;
  private readonly t: ReturnType<typeof tablesOf>;
  private closed = false;
  private readonly announcements: TurnBatch<PendingDispatch>;
  private readonly finishes: TurnBatch<string>;

  private constructor(options: PgSagaStateStoreOptions) {
    this.t = tablesOf(options.schema);
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 4,
      connectionTimeoutMillis: 10_000,
      statement_timeout: 60_000,
      application_name: 'commerce-saga-state',
    });
    const onIdleError = options.onIdleError;
    this.pool.on('error', (error) => onIdleError?.(error));
    const { t } = this;
    this.announcements = new TurnBatch(async (steps) => {
      await this.query(
        `INSERT INTO ${t.steps} (id, saga, saga_id, first_rev, last_rev, announced_ms)
         SELECT u.id, u.saga, u.saga_id, u.first_rev, u.last_rev, $6
           FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[])
             AS u(id, saga, saga_id, first_rev, last_rev)`,
        [
          steps.map((step) => step.id),
          steps.map((step) => step.saga),
          steps.map((step) => step.sagaId),
          steps.map((step) => step.first),
          steps.map((step) => step.last),
          Date.now(),
        ],
      );
    });
    this.finishes = new TurnBatch(async (ids) => {
      await this.query(`DELETE FROM ${t.steps} WHERE id = ANY($1::text[])`, [ids]);
    });
  }

  static async open(options: PgSagaStateStoreOptions): Promise<PgSagaStateStore> {
    const store = new PgSagaStateStore(options);
    try {
      await migrateSchema(store.pool, options.schema, ddl(store.t));
    } catch (error) {
      await store.pool.end().catch(() => undefined);
      throw error;
    }
    return store;
  }

  /**
   * One statement: the snapshot it reads the saga's revision in is the one its writes apply to, and a concurrent write
   * of the same saga waits on the revision row's lock. Deadlines left: the revision moves up (or nothing happens), the
   * timers not among them go, the others are upserted. None left: unless a later revision wrote, the timers and the
   * revision row go (a late older write may then add back stale timers, which fire and are ignored).
   */
  async replaceTimers(saga: SagaName, sagaId: string, revision: number, deadlines: readonly Deadline[]): Promise<void> {
    const { t } = this;
    if (deadlines.length === 0) {
      await this.query(
        `WITH newer AS (SELECT 1 FROM ${t.revisions} WHERE saga_id = $1 AND revision > $2),
              gone AS (DELETE FROM ${t.revisions} WHERE saga_id = $1 AND revision <= $2)
         DELETE FROM ${t.timers} WHERE saga_id = $1 AND NOT EXISTS (SELECT 1 FROM newer)`,
        [sagaId, revision],
      );
      return;
    }
    const ids = deadlines.map((d) => d.deadlineId);
    await this.query(
      `WITH moved AS (
         INSERT INTO ${t.revisions} AS r (saga_id, revision) VALUES ($2, $7)
         ON CONFLICT (saga_id) DO UPDATE SET revision = excluded.revision WHERE r.revision < excluded.revision
         RETURNING 1),
       dropped AS (
         DELETE FROM ${t.timers}
          WHERE saga_id = $2 AND NOT (deadline_id = ANY($3::text[])) AND EXISTS (SELECT 1 FROM moved))
       INSERT INTO ${t.timers} AS x (saga, saga_id, deadline_id, kind, due_at, due_ms)
       SELECT $1, $2, d.deadline_id, d.kind, d.due_at, d.due_ms
         FROM unnest($3::text[], $4::text[], $5::text[], $6::bigint[]) AS d(deadline_id, kind, due_at, due_ms)
        WHERE EXISTS (SELECT 1 FROM moved)
       ON CONFLICT (saga_id, deadline_id) DO UPDATE SET
         kind = excluded.kind, due_at = excluded.due_at, due_ms = excluded.due_ms,
         claimed_until = CASE WHEN x.due_ms = excluded.due_ms THEN x.claimed_until ELSE 0 END`,
      [
        saga,
        sagaId,
        ids,
        deadlines.map((d) => d.kind),
        deadlines.map((d) => d.dueAt),
        deadlines.map((d) => Date.parse(d.dueAt)),
        revision,
      ],
    );
  }

  async claimDueTimers(nowMs: number, limit: number, claimMs: number): Promise<readonly Timer[]> {
    const { t } = this;
    const { rows } = await this.query<TimerRow>(
      `UPDATE ${t.timers} SET claimed_until = $2
        WHERE (saga_id, deadline_id) IN (
          SELECT saga_id, deadline_id FROM ${t.timers}
           WHERE due_ms <= $1 AND claimed_until <= $1
           ORDER BY due_ms, saga_id, deadline_id LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING saga, saga_id, deadline_id, kind, due_at, due_ms`,
      [nowMs, nowMs + claimMs, limit],
    );
    return rows.map(toTimer).sort((a, b) => a.dueMs - b.dueMs);
  }

  async removeTimer(sagaId: string, deadlineId: string, dueMs: number): Promise<void> {
    await this.query(`DELETE FROM ${this.t.timers} WHERE saga_id = $1 AND deadline_id = $2 AND due_ms = $3`, [
      sagaId,
      deadlineId,
      dueMs,
    ]);
  }

  async timersOf(sagaId: string): Promise<readonly Timer[]> {
    const { rows } = await this.query<TimerRow>(
      `SELECT saga, saga_id, deadline_id, kind, due_at, due_ms FROM ${this.t.timers} WHERE saga_id = $1
        ORDER BY due_ms, deadline_id`,
      [sagaId],
    );
    return rows.map(toTimer);
  }

  async timerCount(): Promise<number> {
    const { rows } = await this.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.t.timers}`);
    return Number(rows[0]?.n ?? 0);
  }

  /** Announcements of one turn of the event loop go in one INSERT (sagas stepping at once). */
  announceStep(saga: SagaName, sagaId: string, first: number, last: number): Promise<string> {
    const id = randomUUID();
    return this.announcements.add({ id, saga, sagaId, first, last }).then(() => id);
  }

  /** Finishes of one turn go in one DELETE. */
  finishStep(id: string): Promise<void> {
    return this.finishes.add(id);
  }

  async claimStaleSteps(announcedBeforeMs: number, limit: number, nowMs: number): Promise<readonly PendingDispatch[]> {
    const { t } = this;
    const { rows } = await this.query<StepRow>(
      `UPDATE ${t.steps} SET announced_ms = $2
        WHERE id IN (
          SELECT id FROM ${t.steps} WHERE announced_ms < $1 ORDER BY announced_ms, id LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING id, saga, saga_id, first_rev, last_rev`,
      [announcedBeforeMs, nowMs, limit],
    );
    return rows.map(toStep);
  }

  async touchSteps(ids: readonly string[], nowMs: number): Promise<void> {
    if (ids.length === 0) return;
    await this.query(`UPDATE ${this.t.steps} SET announced_ms = $2 WHERE id = ANY($1::text[])`, [ids, nowMs]);
  }

  async pendingSteps(): Promise<number> {
    const { rows } = await this.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.t.steps}`);
    return Number(rows[0]?.n ?? 0);
  }

  async isInitialized(): Promise<boolean> {
    const { rows } = await this.query(`SELECT 1 FROM ${this.t.meta} WHERE name = 'initialized'`);
    return rows.length > 0;
  }

  async markInitialized(): Promise<void> {
    await this.query(
      `INSERT INTO ${this.t.meta} (name, value) VALUES ('initialized', 'yes') ON CONFLICT (name) DO NOTHING`,
    );
  }

  /** A server that cannot be reached is a `StoreUnavailableError`: the saga runner retries, never dead-letters, for it. */
  private query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    values?: readonly unknown[],
  ): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>(prepared(sql, values)).catch(rethrowUnavailable);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/**
 * Collects what callers add during one turn of the event loop and writes it with one call on the next (setImmediate,
 * so continuations of the previous write join in); each caller hears back once its batch is written.
 */
class TurnBatch<T> {
  private pending: { item: T; resolve: () => void; reject: (error: unknown) => void }[] = [];

  constructor(private readonly write: (items: readonly T[]) => Promise<void>) {}

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => void this.flush());
      this.pending.push({ item, resolve, reject });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      await this.write(batch.map((p) => p.item));
      for (const p of batch) p.resolve();
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }
}

export const openPgSagaStateStore = (options: PgSagaStateStoreOptions): Promise<PgSagaStateStore> =>
  PgSagaStateStore.open(options);
