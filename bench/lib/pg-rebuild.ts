import pg from 'pg';
import { openPgEventStore } from '../../infra/postgres/pg-event-store';
import { openPgReadStore } from '../../infra/postgres/pg-read-store';
import { allProjections } from '../../projections';
import { rebuildProjection } from '../../projections/rebuild';
import { fillStore } from '../rebuild';
import { errorText, int, progress, ratio, row, type TableRow } from './report';

/**
 * The rebuild of every projection from the PostgreSQL event store into the PostgreSQL read store, next to two raw
 * `pg` baselines measured in the same run on the same server:
 * - raw read: the events table paged by position (2,000 rows, as the rebuild's windows), `json` columns parsed by
 *   `pg` — what any rebuild from this store pays before folding;
 * - raw write: the rebuilt orders documents inserted again with plain multi-row `INSERT … SELECT FROM
 *   jsonb_to_recordset` (2,000 per statement) into a table with only its primary key — what writing those documents
 *   costs PostgreSQL without versions, progress or the projections' indexes.
 * Both schemas are made for the run and dropped afterwards.
 */
export interface PgRebuildFigures {
  readonly events: number;
  readonly buildSeconds: number;
  readonly rawReadPerSecond: number;
  /** undefined when it could not be measured (the rebuild figures stand on their own) */
  readonly rawWrite: { readonly documents: number; readonly perSecond: number; readonly megabytes: number } | undefined;
  readonly projections: readonly {
    readonly name: string;
    readonly eventsPerSecond: number;
    readonly documents: number;
    readonly seconds: number;
  }[];
  readonly slowestPerSecond: number;
}

export type PgRebuildOutcome =
  { readonly ok: true; readonly figures: PgRebuildFigures } | { readonly ok: false; readonly reason: string };

const PAGE = 2_000;

const rawRead = async (pool: pg.Pool, events: string): Promise<number> => {
  const started = performance.now();
  let after = 0;
  let read = 0;
  let checksum = 0;
  for (;;) {
    const { rows } = await pool.query<{ position: string; type: string; data: { type?: string } }>(
      `SELECT position, stream_id, revision, event_id, type, data, metadata FROM ${events}
       WHERE position > $1 ORDER BY position LIMIT $2`,
      [after, PAGE],
    );
    const last = rows.at(-1);
    if (last === undefined) break;
    for (const r of rows) checksum += r.data.type?.length ?? 0;
    read += rows.length;
    after = Number(last.position);
  }
  if (checksum < 0) progress('unreachable');
  return (read * 1000) / (performance.now() - started);
};

const rawWrite = async (
  pool: pg.Pool,
  from: string,
  into: string,
): Promise<NonNullable<PgRebuildFigures['rawWrite']>> => {
  const { rows } = await pool.query<{ id: string; body: unknown; progress: unknown }>(
    `SELECT id, body, progress FROM ${from} ORDER BY id`,
  );
  await pool.query(
    `CREATE TABLE ${into} (id text COLLATE "C" PRIMARY KEY, body jsonb NOT NULL, progress jsonb NOT NULL)`,
  );
  let bytes = 0;
  const started = performance.now();
  for (let start = 0; start < rows.length; start += PAGE) {
    const json = JSON.stringify(rows.slice(start, start + PAGE).map((r) => ({ i: r.id, b: r.body, p: r.progress })));
    bytes += json.length;
    await pool.query(
      `INSERT INTO ${into} (id, body, progress)
       SELECT i, b, p FROM jsonb_to_recordset($1::jsonb) AS w(i text COLLATE "C", b jsonb, p jsonb)`,
      [json],
    );
  }
  const seconds = (performance.now() - started) / 1000;
  return { documents: rows.length, perSecond: rows.length / seconds, megabytes: bytes / 1e6 };
};

export const benchPgRebuild = async (url: string, events: number): Promise<PgRebuildOutcome> => {
  const run = Date.now().toString(36);
  const eventSchema = `bench_events_${run}`;
  const readSchema = `bench_read_${run}`;
  const admin = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 10_000 });
  // an idle connection lost to a restarted server fails the next query, not the process
  admin.on('error', () => undefined);
  try {
    progress(`rebuild on PostgreSQL: appending ${int(events)} events to schema ${eventSchema}`);
    const eventStore = await openPgEventStore({ url, schema: eventSchema, statementTimeoutMs: 600_000 });
    const readStore = await openPgReadStore({ url, schema: readSchema, statementTimeoutMs: 600_000 });
    try {
      const building = performance.now();
      const head = await fillStore(eventStore, events);
      const buildSeconds = (performance.now() - building) / 1000;
      progress(`rebuild on PostgreSQL: ${int(head)} events appended in ${buildSeconds.toFixed(1)} s`);
      await admin.query(`VACUUM ANALYZE ${eventStore.tables.events}`);
      // the first read warms the buffer cache, so that neither side pays for reading from disk
      await rawRead(admin, eventStore.tables.events);
      const rawReadPerSecond = await rawRead(admin, eventStore.tables.events);
      progress(`raw pg read of the events (+ JSON.parse): ${int(rawReadPerSecond)} events/s`);
      const projections: PgRebuildFigures['projections'][number][] = [];
      let ordersTarget: string | undefined;
      for (const projection of allProjections) {
        const result = await rebuildProjection({
          eventStore,
          logReader: eventStore.logReader(),
          readStore,
          projection,
          batchSize: PAGE,
          handoverTimeoutMs: 0,
        });
        const documents = await readStore.count(result.target);
        if (projection.name === 'orders') ordersTarget = result.target;
        projections.push({
          name: projection.name,
          eventsPerSecond: result.eventsPerSecond,
          documents,
          seconds: result.elapsedMs / 1000,
        });
        progress(
          `rebuild ${projection.name} into PostgreSQL: ${int(result.eventsPerSecond)} events/s ` +
            `(${int(documents)} documents, ${(result.elapsedMs / 1000).toFixed(1)} s, ` +
            `${ratio(result.eventsPerSecond, rawReadPerSecond)} of the raw read)`,
        );
      }
      const write =
        ordersTarget === undefined
          ? undefined
          : await rawWrite(admin, `"${readSchema}"."${ordersTarget}"`, `"${readSchema}"."raw_write_baseline"`).catch(
              (error: unknown) => {
                progress(`raw pg write not measured: ${errorText(error)}`);
                return undefined;
              },
            );
      if (write !== undefined) {
        progress(
          `raw pg write of the orders documents: ${int(write.perSecond)} documents/s (${write.megabytes.toFixed(0)} MB)`,
        );
      }
      return {
        ok: true,
        figures: {
          events: head,
          buildSeconds,
          rawReadPerSecond,
          rawWrite: write,
          projections,
          slowestPerSecond: Math.min(...projections.map((p) => p.eventsPerSecond)),
        },
      };
    } finally {
      await readStore.close();
      await eventStore.close();
    }
  } catch (error) {
    return { ok: false, reason: errorText(error).split('\n')[0] ?? 'failed' };
  } finally {
    for (const schema of [eventSchema, readSchema]) {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    }
    await admin.end().catch(() => undefined);
  }
};

/** The figures as `rebuildRows` shows them, plus the raw write of the orders documents. */
export const pgRebuildRows = (outcome: PgRebuildOutcome, goalPerSecond: number): TableRow[] => {
  const label = 'projection rebuild, PostgreSQL event store → PostgreSQL read store';
  if (!outcome.ok) return [row(label, `not measured: ${outcome.reason}`)];
  const f = outcome.figures;
  const baseline = `${int(f.rawReadPerSecond)} (raw pg read + JSON.parse)`;
  const orders = f.projections.find((p) => p.name === 'orders');
  return [
    row(`${label}, ${int(f.events)} events, slowest projection`, `${int(f.slowestPerSecond)} events/s`, {
      baseline,
      ratio: ratio(f.slowestPerSecond, f.rawReadPerSecond),
      goal: `≥ ${int(goalPerSecond)} events/s`,
      met: f.slowestPerSecond >= goalPerSecond,
    }),
    ...f.projections.map((p) =>
      row(
        `  rebuild ${p.name} (${int(p.documents)} docs, ${p.seconds.toFixed(1)} s)`,
        `${int(p.eventsPerSecond)} events/s`,
        {
          baseline,
          ratio: ratio(p.eventsPerSecond, f.rawReadPerSecond),
        },
      ),
    ),
    row(
      `  orders documents written by the rebuild (${int(orders?.documents ?? 0)})`,
      `${int(orders === undefined ? 0 : orders.documents / orders.seconds)} documents/s (fold included)`,
      f.rawWrite === undefined
        ? { baseline: 'raw pg INSERT not measured' }
        : {
            baseline: `${int(f.rawWrite.perSecond)} documents/s (raw pg INSERT, ${f.rawWrite.megabytes.toFixed(0)} MB)`,
            ratio: ratio(orders === undefined ? 0 : orders.documents / orders.seconds, f.rawWrite.perSecond),
          },
    ),
  ];
};

/** `npx tsx bench/lib/pg-rebuild.ts <postgres url> [events]`: the rebuild alone, figures as JSON. */
if (process.argv[1]?.endsWith('pg-rebuild.ts') === true) {
  const url = process.argv[2] ?? process.env.POSTGRES_URL ?? '';
  const events = Number(process.argv[3] ?? 100_000);
  if (url === '' || !Number.isSafeInteger(events) || events < 1_000) {
    progress('usage: npx tsx bench/lib/pg-rebuild.ts <postgres url> [events ≥ 1000]');
    process.exitCode = 2;
  } else {
    void benchPgRebuild(url, events).then((outcome) => {
      process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
      if (!outcome.ok) process.exitCode = 1;
    });
  }
}
