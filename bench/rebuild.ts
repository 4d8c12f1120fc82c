/**
 * Projection rebuild throughput against the raw speed of reading the same rows from SQLite, in one run.
 *   npx tsx bench/rebuild.ts [events, default 1,000,000]
 * Builds a fresh event store of realistic order lifecycles (order, stock, payment and saga events, ~8 per order)
 * through the SQLite store's own append in big concurrent batches, then:
 *   - raw: better-sqlite3 reads every row in pages of 2,000 and JSON.parses data and metadata;
 *   - rebuild: `rebuildProjection` of each projection into a fresh embedded (SQLite) read store.
 * `benchRebuild(events)` returns the figures for `npm run bench`.
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventStore, NewEvent } from '../ports/event-store';
import { openSqliteEventStore } from '../infra/sqlite/sqlite-event-store';
import { openSqliteLogReader } from '../infra/sqlite/sqlite-log-reader';
import { openSqliteReadStore } from '../infra/sqlite/sqlite-read-store';
import { openMongoReadStore } from '../infra/mongodb/mongo-read-store';
import { openPgReadStore } from '../infra/postgres/pg-read-store';
import type { ReadStore } from '../ports/read-store';
import { allProjections } from '../projections';
import { rebuildProjection } from '../projections/rebuild';

export interface RebuildFigures {
  readonly events: number;
  readonly rawEventsPerSecond: number;
  /** `readAll` through the event store port alone: the ceiling of any rebuild through the ports */
  readonly portReadEventsPerSecond: number;
  readonly projections: readonly {
    readonly name: string;
    readonly eventsPerSecond: number;
    readonly documents: number;
    /** rebuild speed / raw read speed */
    readonly ratio: number;
  }[];
}

const PAGE = 2_000;
const SKUS = 200;
const EVENTS_PER_ORDER = 8;

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

const metadata = (correlationId: string, timestamp: string) => {
  const commandId = randomUUID();
  return { commandId, causationId: commandId, correlationId, timestamp, schemaVersion: 1 };
};

const event = (type: string, data: Record<string, unknown>, correlationId: string): NewEvent => ({
  eventId: randomUUID(),
  type: `${type}.v1`,
  data: { type, ...data },
  metadata: metadata(correlationId, String(data.at)),
});

/** One order's life: placed, stock reserved, authorized, confirmed, captured, shipped, committed; one saga event. */
const orderLife = (n: number): { stream: string; events: NewEvent[] }[] => {
  const orderId = `o-${n}`;
  const sku = `SKU-${n % SKUS}`;
  const quantity = 1 + (n % 3);
  const unitPrice = { amount: 1000 + (n % SKUS) * 10, currency: 'EUR' };
  const total = { amount: unitPrice.amount * quantity, currency: 'EUR' };
  // a minute per order: the sales buckets spread over hours and days
  const at = new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString();
  const c = orderId;
  return [
    {
      stream: `order-${orderId}`,
      events: [
        event(
          'OrderPlaced',
          {
            orderId,
            customerId: `cust-${n % 5_000}`,
            currency: 'EUR',
            lines: [{ sku, quantity, unitPrice, lineTotal: total }],
            total,
            paymentToken: 'tok_approve',
            at,
          },
          c,
        ),
      ],
    },
    {
      stream: `sku-${sku}`,
      events: [event('StockReserved', { sku, orderId, quantity, expiresAt: at, available: 1_000_000, at }, c)],
    },
    {
      stream: `saga-fulfilment-${orderId}`,
      events: [event('LineReserved', { orderId, sku, at }, c)],
    },
    {
      stream: `payment-${orderId}`,
      events: [event('PaymentAuthorized', { orderId, amount: total, authorizationId: `auth-${n}`, at }, c)],
    },
    { stream: `order-${orderId}`, events: [event('OrderConfirmed', { orderId, paid: total, at }, c)] },
    { stream: `payment-${orderId}`, events: [event('PaymentCaptured', { orderId, amount: total, at }, c)] },
    { stream: `order-${orderId}`, events: [event('OrderShipped', { orderId, at }, c)] },
    {
      stream: `sku-${sku}`,
      events: [event('ReservationCommitted', { sku, orderId, quantity, onHand: 1_000_000, at }, c)],
    },
  ];
};

export const buildStore = async (path: string, events: number): Promise<number> => {
  const store = openSqliteEventStore({ path });
  try {
    return await fillStore(store, events);
  } finally {
    await store.close();
  }
};

/** Appends the bench's log (SKUs, then order lives) to any event store; answers its head position. */
export const fillStore = async (
  store: Pick<EventStore, 'append' | 'headPosition'>,
  events: number,
): Promise<number> => {
  const at = new Date(Date.UTC(2026, 0, 1)).toISOString();
  // appended at the revisions the fill knows, as the engine appends: with 'any' every append would search its stream
  // for a repeat (ADR 0024), and the SKU streams grow long; stores write a turn's appends in the order they were made
  const heads = new Map<string, number>();
  const append = (stream: string, appended: readonly NewEvent[]): Promise<unknown> => {
    const head = heads.get(stream);
    heads.set(stream, (head ?? -1) + appended.length);
    return store.append(stream, appended, head ?? 'no_stream');
  };
  for (let s = 0; s < SKUS; s++) {
    const sku = `SKU-${s}`;
    await append(`sku-${sku}`, [
      event('SkuDefined', { sku, name: `Item ${s}`, unitPrice: { amount: 1000 + s * 10, currency: 'EUR' }, at }, sku),
      event('StockRestocked', { sku, quantity: 1_000_000, onHand: 1_000_000, at }, sku),
    ]);
  }
  const orders = Math.max(1, Math.floor((events - 2 * SKUS) / EVENTS_PER_ORDER));
  const started = Date.now();
  let lastLog = started;
  // each step of a life is appended for 500 orders at once: group commit writes them in one transaction
  const chunk = 500;
  for (let first = 0; first < orders; first += chunk) {
    const lives = Array.from({ length: Math.min(chunk, orders - first) }, (_, i) => orderLife(first + i));
    for (let step = 0; step < EVENTS_PER_ORDER; step++) {
      await Promise.all(
        lives.flatMap((life) => {
          const part = life[step];
          return part ? [append(part.stream, part.events)] : [];
        }),
      );
    }
    if (Date.now() - lastLog > 2_000) {
      lastLog = Date.now();
      const done = (first + chunk) * EVENTS_PER_ORDER;
      log(`building the store: ${done.toLocaleString('en-US')} / ${events.toLocaleString('en-US')} events`);
    }
  }
  return await store.headPosition();
};

/** Reads every event row in pages and parses its JSON columns: the floor any rebuild has to pay. */
const rawRead = (path: string): { events: number; ms: number } => {
  const db = new Database(path, { readonly: true });
  try {
    const page = db.prepare<[number, number], { position: number; data: string; metadata: string }>(
      'SELECT position, stream_id, revision, event_id, type, data, metadata FROM events WHERE position > ? ORDER BY position LIMIT ?',
    );
    const started = performance.now();
    let after = 0;
    let events = 0;
    let checksum = 0;
    for (;;) {
      const rows = page.all(after, PAGE);
      const last = rows.at(-1);
      if (last === undefined) break;
      for (const row of rows) {
        const data = JSON.parse(row.data) as { type?: string };
        const meta = JSON.parse(row.metadata) as { schemaVersion?: number };
        checksum += (data.type?.length ?? 0) + (meta.schemaVersion ?? 0);
      }
      events += rows.length;
      after = last.position;
    }
    if (checksum < 0) log('unreachable');
    return { events, ms: performance.now() - started };
  } finally {
    db.close();
  }
};

/** Where the rebuilt documents go: the embedded SQLite read store by default, or e.g. MongoDB/FerretDB. */
export type ReadStoreFactory = (folder: string) => Promise<ReadStore>;

const sqliteReadStore: ReadStoreFactory = (folder) =>
  Promise.resolve(openSqliteReadStore({ path: join(folder, 'read.db') }));

/** A fresh database on a MongoDB wire server (FerretDB under `npm run services:start`); the caller drops it. */
export const mongoReadStoreAt =
  (url: string, database = `rebuild_bench_${Date.now().toString(36)}`): ReadStoreFactory =>
  () =>
    openMongoReadStore({
      url,
      database,
      // FerretDB starved of CPU on a shared machine can take longer than the default 30 s for one bulk command
      clientOptions: { socketTimeoutMS: 180_000 },
    });

/** A fresh schema on PostgreSQL (the cluster `npm run services:start` runs); the caller drops it. */
export const pgReadStoreAt =
  (url: string, schema = `rebuild_bench_${Date.now().toString(36)}`): ReadStoreFactory =>
  () =>
    openPgReadStore({ url, schema, statementTimeoutMs: 600_000 });

export const benchRebuild = async (
  events = 1_000_000,
  target: ReadStoreFactory = sqliteReadStore,
): Promise<RebuildFigures> => {
  const folder = mkdtempSync(join(tmpdir(), 'rebuild-bench-'));
  try {
    const eventsPath = join(folder, 'events.db');
    const built = Date.now();
    const head = await buildStore(eventsPath, events);
    log(`store built: ${head.toLocaleString('en-US')} events in ${((Date.now() - built) / 1000).toFixed(1)} s`);
    // warm the page cache so neither side pays the first read from disk
    rawRead(eventsPath);
    const raw = rawRead(eventsPath);
    const rawEventsPerSecond = (raw.events * 1000) / raw.ms;
    log(`raw read + JSON.parse: ${Math.round(rawEventsPerSecond).toLocaleString('en-US')} events/s`);
    const eventStore = openSqliteEventStore({ path: eventsPath });
    const portStarted = performance.now();
    let portEvents = 0;
    for (let after = 0; ;) {
      const page = await eventStore.readAll({ after, maxCount: PAGE });
      const last = page.at(-1);
      if (last === undefined) break;
      portEvents += page.length;
      after = last.position;
    }
    const portReadEventsPerSecond = (portEvents * 1000) / (performance.now() - portStarted);
    log(`readAll through the port: ${Math.round(portReadEventsPerSecond).toLocaleString('en-US')} events/s`);
    const logReader = openSqliteLogReader({ path: eventsPath });
    const readStore = await target(folder);
    const projections: RebuildFigures['projections'][number][] = [];
    try {
      for (const projection of allProjections) {
        const result = await rebuildProjection({
          eventStore,
          logReader,
          readStore,
          projection,
          batchSize: PAGE,
          handoverTimeoutMs: 0,
        });
        const documents = await readStore.count(result.target);
        projections.push({
          name: projection.name,
          eventsPerSecond: result.eventsPerSecond,
          documents,
          ratio: result.eventsPerSecond / rawEventsPerSecond,
        });
        log(
          `rebuild ${projection.name}: ${Math.round(result.eventsPerSecond).toLocaleString('en-US')} events/s ` +
            `(${documents.toLocaleString('en-US')} documents, ${(result.elapsedMs / 1000).toFixed(1)} s, ` +
            `${Math.round((result.eventsPerSecond / rawEventsPerSecond) * 100)} % of raw)`,
        );
      }
    } finally {
      await readStore.close();
      logReader.close();
      await eventStore.close();
    }
    return { events: head, rawEventsPerSecond, portReadEventsPerSecond, projections };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
};

if (require.main === module) {
  const requested = Number(process.argv[2] ?? 1_000_000);
  if (!Number.isSafeInteger(requested) || requested < 1_000) {
    log('usage: npx tsx bench/rebuild.ts [events ≥ 1000]');
    process.exitCode = 2;
  } else {
    // --mongodb <url>: rebuild into MongoDB (FerretDB under `npm run services:start`) instead of SQLite
    const flag = process.argv.indexOf('--mongodb');
    const mongoUrl = flag > 0 ? process.argv[flag + 1] : undefined;
    // --postgres <url>: into a fresh schema on PostgreSQL (left behind: drop it by hand)
    const pgFlag = process.argv.indexOf('--postgres');
    const pgUrl = pgFlag > 0 ? process.argv[pgFlag + 1] : undefined;
    const target =
      mongoUrl !== undefined ? mongoReadStoreAt(mongoUrl) : pgUrl !== undefined ? pgReadStoreAt(pgUrl) : undefined;
    benchRebuild(requested, target).then(
      (figures) => {
        process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
      },
      (error: unknown) => {
        log(error instanceof Error ? (error.stack ?? error.message) : String(error));
        process.exitCode = 1;
      },
    );
  }
}
