import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { openPgEventStore, type PgEventStore } from '../../infra/postgres/pg-event-store';
import type { NewEvent } from '../../ports/event-store';
import { int, ms, progress, ratio, row, sleep, type TableRow } from './report';

/**
 * Appends/s through the PostgreSQL event store's port next to raw `pg` inserts into a table of the same shape and
 * indexes (bigserial position, unique stream + revision, json data and metadata; no index on event ids, ADR 0024),
 * on the same server, in the same run, through pools of the same size. Two loads: batch 1 with 64 appenders in flight (commands), and
 * batch 100 with 8 in flight (imports, sagas' bursts). Each run in a fresh schema, dropped afterwards.
 */
export interface PgAppendFigures {
  readonly events: { readonly batch1: number; readonly batch100: number };
  readonly batch1: { readonly portPerSecond: number; readonly rawPerSecond: number; readonly transactions: number };
  readonly batch100: { readonly portPerSecond: number; readonly rawPerSecond: number };
}

/** Subscription lag: from the append call to the subscriber's handler, on another store instance (another process). */
export interface PgSubscriptionLag {
  readonly targetPerSecond: number;
  readonly appendedPerSecond: number;
  readonly events: number;
  /** from the append call (includes the append's own latency) */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** from the moment the writer learnt its append committed (0 when the subscriber had it first) */
  readonly fromCommitP50Ms: number;
  readonly fromCommitP99Ms: number;
}

export const PG_APPEND_GOAL = 0.5;
export const PG_LAG_GOAL = { perSecond: 20_000, p99Ms: 100 } as const;

const quantile = (sorted: readonly number[], q: number): number =>
  sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN);

/**
 * Appends at `targetPerSecond` (batches of 100 every 10 ms, at most 16 appends in flight: a store that cannot keep up
 * shows as a lower appended rate, not as a queue growing without bound) for `seconds`, while a subscriber on its own
 * store instance records, per event, the time from the append call to its handler.
 */
export const benchPgSubscriptionLag = async (
  url: string,
  options: { readonly seconds: number; readonly targetPerSecond?: number },
): Promise<PgSubscriptionLag> => {
  const schema = `bench_lag_${Date.now().toString(36)}`;
  const targetPerSecond = options.targetPerSecond ?? PG_LAG_GOAL.perSecond;
  const writer = await openPgEventStore({ url, schema });
  const reader = await openPgEventStore({ url, schema });
  const lags: number[] = [];
  const committedAt = new Map<string, number>();
  const receivedAt = new Map<string, number>();
  try {
    const subscription = reader.subscribeToAll({ after: 0, batchSize: 500 }, (batch) => {
      const now = performance.now();
      for (const event of batch) {
        if (event.revision === 0) receivedAt.set(event.streamId, now);
        const sentAt = (event.data as { readonly sentAt?: unknown }).sentAt;
        if (typeof sentAt === 'number') lags.push(now - sentAt);
      }
    });
    await subscription.caughtUp;
    progress(`postgres subscription lag: ${int(targetPerSecond)} events/s for ${options.seconds} s`);
    const perTick = Math.max(1, Math.round(targetPerSecond / 100 / 100)); // appends of 100 events per 10 ms tick
    let inFlight = 0;
    let appended = 0;
    let stream = 0;
    const pending = new Set<Promise<void>>();
    const started = performance.now();
    const end = started + options.seconds * 1000;
    for (let tick = 0; performance.now() < end; tick += 1) {
      for (let k = 0; k < perTick && inFlight < 16; k += 1) {
        const sentAt = performance.now();
        const events = Array.from({ length: 100 }, (_e, i) => ({ ...anEvent(i), data: { sentAt, i } }));
        inFlight += 1;
        const streamId = `lag-${(stream += 1)}`;
        const done = writer.append(streamId, events, 'no_stream').then(() => {
          committedAt.set(streamId, performance.now());
          inFlight -= 1;
          appended += 100;
        });
        pending.add(done);
        void done.finally(() => pending.delete(done));
      }
      const wait = started + (tick + 1) * 10 - performance.now();
      if (wait > 0) await sleep(wait);
    }
    await Promise.all(pending);
    const appendedPerSecond = appended / ((performance.now() - started) / 1000);
    const deadline = performance.now() + 20_000;
    while (lags.length < appended && performance.now() < deadline) await sleep(20);
    await subscription.stop();
    const sorted = [...lags].sort((a, b) => a - b);
    const fromCommit = [...committedAt].flatMap(([id, at]) => {
      const received = receivedAt.get(id);
      return received === undefined ? [] : [Math.max(0, received - at)];
    });
    fromCommit.sort((a, b) => a - b);
    return {
      targetPerSecond,
      appendedPerSecond,
      events: sorted.length,
      p50Ms: quantile(sorted, 0.5),
      p99Ms: quantile(sorted, 0.99),
      maxMs: sorted.at(-1) ?? Number.NaN,
      fromCommitP50Ms: quantile(fromCommit, 0.5),
      fromCommitP99Ms: quantile(fromCommit, 0.99),
    };
  } finally {
    await reader.close().catch(() => undefined);
    await writer.close().catch(() => undefined);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await admin.end().catch(() => undefined);
  }
};

export const pgLagRows = (lag: PgSubscriptionLag): TableRow[] => [
  row(
    `PostgreSQL subscription lag (another instance), ${int(lag.targetPerSecond)} events/s asked, ${int(lag.appendedPerSecond)}/s appended, ${int(lag.events)} events`,
    `from the append call p50 ${ms(lag.p50Ms)}, p99 ${ms(lag.p99Ms)}, max ${ms(lag.maxMs)}; ` +
      `from the commit's acknowledgement p50 ${ms(lag.fromCommitP50Ms)}, p99 ${ms(lag.fromCommitP99Ms)}`,
    {
      goal: `p99 ≤ ${PG_LAG_GOAL.p99Ms} ms at ${int(PG_LAG_GOAL.perSecond)} events/s`,
      // the subscription's own lag is the one from the commit; the rate says whether the load was really there
      met: lag.fromCommitP99Ms <= PG_LAG_GOAL.p99Ms && lag.appendedPerSecond >= 0.95 * PG_LAG_GOAL.perSecond,
    },
  ),
];
const POOL = 10;

const anEvent = (i: number): NewEvent => {
  const commandId = randomUUID();
  return {
    eventId: randomUUID(),
    type: 'OrderPlaced.v1',
    data: {
      orderId: commandId,
      customerId: `c-${i % 997}`,
      lines: [{ sku: 'MUG-1', quantity: 2, unitPrice: { amount: 1250, currency: 'EUR' } }],
      total: { amount: 2500, currency: 'EUR' },
    },
    metadata: {
      commandId,
      causationId: commandId,
      correlationId: commandId,
      timestamp: new Date(0).toISOString(),
      schemaVersion: 1,
    },
  };
};

/** Runs `workers` loops until `total` units are done; answers units per second. */
const drive = async (total: number, workers: number, unit: (worker: number, i: number) => Promise<void>) => {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let i = next++; i < total; i = next++) await unit(worker, i);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return total / seconds;
};

const rawTable = (schema: string): string => `"${schema}".raw_events`;

export const benchPgAppends = async (url: string, options: { readonly quick: boolean }): Promise<PgAppendFigures> => {
  const schema = `bench_appends_${Date.now().toString(36)}`;
  const batch1Events = options.quick ? 5_000 : 20_000;
  const batch100Appends = options.quick ? 100 : 400;
  const admin = new pg.Pool({ connectionString: url, max: POOL, application_name: 'bench-raw-inserts' });
  let store: PgEventStore | undefined;
  try {
    store = await openPgEventStore({ url, schema, maxConnections: POOL });
    await admin.query(`CREATE TABLE ${rawTable(schema)} (
      position bigserial PRIMARY KEY, stream_id text NOT NULL, revision bigint NOT NULL, event_id text NOT NULL,
      type text NOT NULL, data json NOT NULL, metadata json NOT NULL, UNIQUE (stream_id, revision))`);
    const s = store;

    progress(`postgres appends: raw INSERT, batch 1 × 64 in flight, ${int(batch1Events)} events`);
    const rawRevisions = new Map<number, number>();
    const rawBatch1 = await drive(batch1Events, 64, async (worker) => {
      const revision = (rawRevisions.get(worker) ?? -1) + 1;
      rawRevisions.set(worker, revision);
      const event = anEvent(revision);
      await admin.query(
        `INSERT INTO ${rawTable(schema)} (stream_id, revision, event_id, type, data, metadata) VALUES ($1, $2, $3, $4, $5, $6)`,
        [
          `raw-${worker}`,
          revision,
          event.eventId,
          event.type,
          JSON.stringify(event.data),
          JSON.stringify(event.metadata),
        ],
      );
    });
    progress(`postgres appends: the port, batch 1 × 64 in flight, ${int(batch1Events)} events`);
    const revisions = new Map<number, number>();
    const transactionsBefore = s.transactionCount;
    const portBatch1 = await drive(batch1Events, 64, async (worker) => {
      const expected = revisions.get(worker);
      const result = await s.append(`order-${worker}`, [anEvent(worker)], expected ?? 'no_stream');
      revisions.set(worker, result.revision);
    });
    const transactions = s.transactionCount - transactionsBefore;

    progress(`postgres appends: raw 100-row INSERT × 8 in flight, ${int(batch100Appends * 100)} events`);
    const rawBatch100 = await drive(batch100Appends, 8, async (_, i) => {
      const events = Array.from({ length: 100 }, (_e, k) => anEvent(k));
      await admin.query(
        `INSERT INTO ${rawTable(schema)} (stream_id, revision, event_id, type, data, metadata)
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::json[], $6::json[])`,
        [
          events.map(() => `raw-bulk-${i}`),
          events.map((_e, k) => k),
          events.map((e) => e.eventId),
          events.map((e) => e.type),
          events.map((e) => JSON.stringify(e.data)),
          events.map((e) => JSON.stringify(e.metadata)),
        ],
      );
    });
    progress(`postgres appends: the port, batch 100 × 8 in flight, ${int(batch100Appends * 100)} events`);
    const portBatch100 = await drive(batch100Appends, 8, async (_, i) => {
      await s.append(
        `bulk-${i}`,
        Array.from({ length: 100 }, (_e, k) => anEvent(k)),
        'no_stream',
      );
    });
    return {
      events: { batch1: batch1Events, batch100: batch100Appends * 100 },
      batch1: { portPerSecond: portBatch1, rawPerSecond: rawBatch1, transactions },
      batch100: { portPerSecond: portBatch100 * 100, rawPerSecond: rawBatch100 * 100 },
    };
  } finally {
    await store?.close().catch(() => undefined);
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await admin.end().catch(() => undefined);
  }
};

export const pgAppendRows = (f: PgAppendFigures): TableRow[] => [
  row(
    `PostgreSQL event store appends, batch 1 × 64 in flight (${int(f.events.batch1)} events)`,
    `${int(f.batch1.portPerSecond)} events/s`,
    {
      baseline: `${int(f.batch1.rawPerSecond)} (raw pg INSERT)`,
      ratio: ratio(f.batch1.portPerSecond, f.batch1.rawPerSecond),
      goal: `≥ ${PG_APPEND_GOAL * 100} % of raw`,
      met: f.batch1.portPerSecond >= PG_APPEND_GOAL * f.batch1.rawPerSecond,
    },
  ),
  row(`  of which: transactions (group commit)`, `${int(f.batch1.transactions)} for ${int(f.events.batch1)} appends`),
  row(
    `PostgreSQL event store appends, batch 100 × 8 in flight (${int(f.events.batch100)} events)`,
    `${int(f.batch100.portPerSecond)} events/s`,
    {
      baseline: `${int(f.batch100.rawPerSecond)} (raw pg 100-row INSERT)`,
      ratio: ratio(f.batch100.portPerSecond, f.batch100.rawPerSecond),
      goal: `≥ ${PG_APPEND_GOAL * 100} % of raw`,
      met: f.batch100.portPerSecond >= PG_APPEND_GOAL * f.batch100.rawPerSecond,
    },
  ),
];
