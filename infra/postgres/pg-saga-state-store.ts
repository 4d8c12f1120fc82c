import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Deadline, SagaName } from '../../domain/sagas';
import type { PendingDispatch, SagaStateStore, Timer } from '../../ports/saga-state';
import { quoteIdentifier } from './pg-event-schema';

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
  }

  static async open(options: PgSagaStateStoreOptions): Promise<PgSagaStateStore> {
    const store = new PgSagaStateStore(options);
    try {
      await store.migrate(options.schema);
    } catch (error) {
      await store.pool.end().catch(() => undefined);
      throw error;
    }
    return store;
  }

  private async migrate(schema: string): Promise<void> {
    const { t } = this;
    await this.transaction(async (client) => {
      // runners starting together: concurrent CREATE … IF NOT EXISTS of one object can still fail on a unique index
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`commerce-saga-state:${schema}`]);
      await client.query(`
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
      `);
    });
  }

  async replaceTimers(saga: SagaName, sagaId: string, revision: number, deadlines: readonly Deadline[]): Promise<void> {
    const { t } = this;
    await this.transaction(async (client) => {
      const { rowCount } = await client.query(
        `INSERT INTO ${t.revisions} AS r (saga_id, revision) VALUES ($1, $2)
         ON CONFLICT (saga_id) DO UPDATE SET revision = excluded.revision WHERE r.revision < excluded.revision`,
        [sagaId, revision],
      );
      // a later revision wrote this saga's timers already
      if (rowCount === 0) return;
      const ids = deadlines.map((d) => d.deadlineId);
      await client.query(`DELETE FROM ${t.timers} WHERE saga_id = $1 AND NOT (deadline_id = ANY($2::text[]))`, [
        sagaId,
        ids,
      ]);
      if (deadlines.length === 0) {
        // nothing to protect: a late older write may add back stale timers, which fire and are ignored
        await client.query(`DELETE FROM ${t.revisions} WHERE saga_id = $1 AND revision = $2`, [sagaId, revision]);
        return;
      }
      await client.query(
        `INSERT INTO ${t.timers} AS x (saga, saga_id, deadline_id, kind, due_at, due_ms)
         SELECT $1, $2, d.deadline_id, d.kind, d.due_at, d.due_ms
           FROM unnest($3::text[], $4::text[], $5::text[], $6::bigint[]) AS d(deadline_id, kind, due_at, due_ms)
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
        ],
      );
    });
  }

  async claimDueTimers(nowMs: number, limit: number, claimMs: number): Promise<readonly Timer[]> {
    const { t } = this;
    const { rows } = await this.pool.query<TimerRow>(
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
    await this.pool.query(`DELETE FROM ${this.t.timers} WHERE saga_id = $1 AND deadline_id = $2 AND due_ms = $3`, [
      sagaId,
      deadlineId,
      dueMs,
    ]);
  }

  async timersOf(sagaId: string): Promise<readonly Timer[]> {
    const { rows } = await this.pool.query<TimerRow>(
      `SELECT saga, saga_id, deadline_id, kind, due_at, due_ms FROM ${this.t.timers} WHERE saga_id = $1
        ORDER BY due_ms, deadline_id`,
      [sagaId],
    );
    return rows.map(toTimer);
  }

  async timerCount(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.t.timers}`);
    return Number(rows[0]?.n ?? 0);
  }

  async announceStep(saga: SagaName, sagaId: string, first: number, last: number): Promise<string> {
    const id = randomUUID();
    await this.pool.query(
      `INSERT INTO ${this.t.steps} (id, saga, saga_id, first_rev, last_rev, announced_ms) VALUES ($1, $2, $3, $4, $5, $6)`,
      [id, saga, sagaId, first, last, Date.now()],
    );
    return id;
  }

  async finishStep(id: string): Promise<void> {
    await this.pool.query(`DELETE FROM ${this.t.steps} WHERE id = $1`, [id]);
  }

  async claimStaleSteps(announcedBeforeMs: number, limit: number, nowMs: number): Promise<readonly PendingDispatch[]> {
    const { t } = this;
    const { rows } = await this.pool.query<StepRow>(
      `UPDATE ${t.steps} SET announced_ms = $2
        WHERE id IN (
          SELECT id FROM ${t.steps} WHERE announced_ms < $1 ORDER BY announced_ms, id LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING id, saga, saga_id, first_rev, last_rev`,
      [announcedBeforeMs, nowMs, limit],
    );
    return rows.map(toStep);
  }

  async pendingSteps(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.t.steps}`);
    return Number(rows[0]?.n ?? 0);
  }

  async isInitialized(): Promise<boolean> {
    const { rows } = await this.pool.query(`SELECT 1 FROM ${this.t.meta} WHERE name = 'initialized'`);
    return rows.length > 0;
  }

  async markInitialized(): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.t.meta} (name, value) VALUES ('initialized', 'yes') ON CONFLICT (name) DO NOTHING`,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private async transaction(work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    const client = await this.pool.connect();
    // a checked-out client's connection error must be heard (or it ends the process); its query fails as well
    const lost = (): void => undefined;
    client.on('error', lost);
    try {
      await client.query('BEGIN');
      await work(client);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.off('error', lost);
      client.release();
    }
  }
}

export const openPgSagaStateStore = (options: PgSagaStateStoreOptions): Promise<PgSagaStateStore> =>
  PgSagaStateStore.open(options);
