/**
 * Append throughput of the SQLite event store against raw better-sqlite3 inserts, in one run.
 *   npx tsx bench/event-store-append.ts [seconds per case, default 3]
 * Every run writes a fresh file in the OS temp folder (WAL, synchronous=NORMAL unless the case says FULL) and
 * serialises event data and metadata with JSON.stringify, so the ratio shows what the adapter adds: validation,
 * command / idempotency / revision checks, savepoints and promises. Disk speed drifts on shared machines, so each
 * case runs in three rounds interleaved with the other cases, and the table shows the median round.
 * `bench/run.ts` calls `benchAppends` for its table; this file's own CLI prints every case.
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewEvent } from '../ports/event-store';
import { SqliteEventStore, type SqliteEventStoreOptions } from '../infra/sqlite/sqlite-event-store';

const ROUNDS = 3;

const anEvent = (stream: string, index: number): NewEvent => {
  const commandId = randomUUID();
  return {
    eventId: randomUUID(),
    type: 'OrderPlaced.v1',
    data: {
      orderId: stream,
      customerId: 'customer-42',
      lines: [
        { sku: 'SKU-1001', quantity: 2, unitPrice: { minor: 1999, currency: 'EUR' } },
        { sku: 'SKU-2002', quantity: 1, unitPrice: { minor: 4500, currency: 'EUR' } },
      ],
      total: { minor: 8498, currency: 'EUR' },
      index,
    },
    metadata: {
      commandId,
      causationId: commandId,
      correlationId: stream,
      timestamp: new Date().toISOString(),
      schemaVersion: 1,
    },
  };
};

const batchOf = (stream: string, size: number, start: number): NewEvent[] =>
  Array.from({ length: size }, (_, i) => anEvent(stream, start + i));

export interface Row {
  readonly batch: number;
  readonly events: number;
  readonly ms: number;
  readonly note: string;
}

export const rate = (row: Row): number => (row.events * 1000) / row.ms;

const withFolder = async <T>(run: (file: string) => Promise<T>): Promise<T> => {
  const folder = mkdtempSync(join(tmpdir(), 'event-store-bench-'));
  try {
    return await run(join(folder, 'events.db'));
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
};

const progress = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** The events-shaped table both raw baselines use: the columns and unique keys an event store needs. */
const rawTable = (file: string): Database.Database => {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE events (
    position INTEGER PRIMARY KEY AUTOINCREMENT, stream_id TEXT NOT NULL, revision INTEGER NOT NULL,
    event_id TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL,
    UNIQUE (stream_id, revision))`);
  return db;
};

/** Raw better-sqlite3 inserts, one transaction per batch, for `durationMs`. */
export const rawInserts = (batch: number, durationMs: number): Promise<Row> =>
  withFolder((file) => {
    const db = rawTable(file);
    const insert = db.prepare(
      'INSERT INTO events (stream_id, revision, event_id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)',
    );
    let revision = 0;
    const write = db.transaction((events: readonly NewEvent[]) => {
      for (const event of events) {
        insert.run(
          'raw',
          revision,
          event.eventId,
          event.type,
          JSON.stringify(event.data),
          JSON.stringify(event.metadata),
        );
        revision += 1;
      }
    });
    const started = performance.now();
    let events = 0;
    while (performance.now() - started < durationMs) {
      write(batchOf('raw', batch, events));
      events += batch;
    }
    const ms = performance.now() - started;
    db.close();
    return Promise.resolve({ batch, events, ms, note: '' });
  });

/**
 * Raw reads: `events` rows written with raw inserts, then read back in position order with `JSON.parse` of data and
 * metadata: the floor under any projection rebuild or catch-up, which must do at least this much.
 */
export const rawReadParse = (events: number): Promise<Row> =>
  withFolder((file) => {
    const db = rawTable(file);
    const insert = db.prepare(
      'INSERT INTO events (stream_id, revision, event_id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const write = db.transaction((rows: readonly NewEvent[], start: number) => {
      rows.forEach((event, i) => {
        const stream = `order-${(start + i) % 1000}`;
        insert.run(
          stream,
          start + i,
          event.eventId,
          event.type,
          JSON.stringify(event.data),
          JSON.stringify(event.metadata),
        );
      });
    });
    for (let start = 0; start < events; start += 1000)
      write(batchOf('raw', Math.min(1000, events - start), start), start);
    const select = db.prepare(
      'SELECT position, stream_id, revision, event_id, type, data, metadata FROM events ORDER BY position',
    );
    const started = performance.now();
    let read = 0;
    let checksum = 0;
    for (const raw of select.iterate()) {
      const r = raw as { data: string; metadata: string };
      const data = JSON.parse(r.data) as { index?: number };
      const metadata = JSON.parse(r.metadata) as { schemaVersion?: number };
      // use what was parsed so the work cannot be optimised away
      checksum += (data.index ?? 0) + (metadata.schemaVersion ?? 0);
      read += 1;
    }
    const ms = performance.now() - started;
    db.close();
    return Promise.resolve({ batch: 0, events: read, ms, note: `checksum ${checksum}` });
  });

/** Appends through the SqliteEventStore port: `appenders` concurrent streams, `batch` events per append. */
export const adapterAppends = (
  batch: number,
  appenders: number,
  durationMs: number,
  options: Partial<SqliteEventStoreOptions> = {},
): Promise<Row> =>
  withFolder(async (file) => {
    const store = new SqliteEventStore({ path: file, ...options });
    const started = performance.now();
    let events = 0;
    await Promise.all(
      Array.from({ length: appenders }, async (_, worker) => {
        const stream = `order-${worker}`;
        let revision = -1;
        while (performance.now() - started < durationMs) {
          const result = await store.append(
            stream,
            batchOf(stream, batch, revision + 1),
            revision < 0 ? 'no_stream' : revision,
          );
          revision = result.revision;
          events += batch;
        }
      }),
    );
    const ms = performance.now() - started;
    const stats = store.groupCommitStats;
    await store.close();
    const perTransaction = stats.appends / Math.max(stats.transactions, 1);
    return { batch, events, ms, note: `${perTransaction.toFixed(1)} appends per transaction` };
  });

interface Case {
  readonly name: string;
  readonly batch: number;
  readonly run: () => Promise<Row>;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

export interface AppendResult {
  readonly name: string;
  readonly batch: number;
  /** median of the rounds, events/s */
  readonly rate: number;
  readonly rounds: readonly number[];
  readonly note: string;
}

const runCases = async (cases: readonly Case[], rounds: number): Promise<AppendResult[]> => {
  const rows: Row[][] = cases.map(() => []);
  for (let round = 1; round <= rounds; round += 1) {
    for (const [index, testCase] of cases.entries()) {
      const row = await testCase.run();
      rows[index]?.push(row);
      progress(
        `round ${round}/${rounds} [${index + 1}/${cases.length}] ${testCase.name}, batch ${testCase.batch}: ` +
          `${Math.round(rate(row)).toLocaleString('en')} events/s`,
      );
    }
  }
  return cases.map((testCase, index) => {
    const own = rows[index] ?? [];
    return {
      name: testCase.name,
      batch: testCase.batch,
      rate: median(own.map(rate)),
      rounds: own.map(rate),
      note: own[0]?.note ?? '',
    };
  });
};

export interface AppendBench {
  readonly rawInsert1: AppendResult;
  readonly rawInsert100: AppendResult;
  readonly adapter1: AppendResult;
  /** 64 concurrent appenders of one event each: what the command API does under load (group commit) */
  readonly adapter1Concurrent: AppendResult;
  readonly adapter100: AppendResult;
  readonly rawReadParse: AppendResult;
}

/**
 * The cases `bench/run.ts` reports, interleaved over `rounds` rounds so disk drift hits every case alike;
 * `secondsPerCase` is split across the rounds.
 */
export const benchAppends = async (secondsPerCase = 3, rounds = ROUNDS, readEvents = 200_000): Promise<AppendBench> => {
  const durationMs = (secondsPerCase * 1000) / rounds;
  const cases: Case[] = [
    { name: 'raw better-sqlite3 inserts', batch: 1, run: () => rawInserts(1, durationMs) },
    { name: 'raw better-sqlite3 inserts', batch: 100, run: () => rawInserts(100, durationMs) },
    { name: 'event store port, sequential', batch: 1, run: () => adapterAppends(1, 1, durationMs) },
    { name: 'event store port, 64 concurrent', batch: 1, run: () => adapterAppends(1, 64, durationMs) },
    { name: 'event store port, sequential', batch: 100, run: () => adapterAppends(100, 1, durationMs) },
    { name: 'raw read + JSON.parse', batch: 0, run: () => rawReadParse(readEvents) },
  ];
  const [rawInsert1, rawInsert100, adapter1, adapter1Concurrent, adapter100, rawRead] = await runCases(cases, rounds);
  if (!rawInsert1 || !rawInsert100 || !adapter1 || !adapter1Concurrent || !adapter100 || !rawRead)
    throw new Error('append bench: a case is missing');
  return { rawInsert1, rawInsert100, adapter1, adapter1Concurrent, adapter100, rawReadParse: rawRead };
};

const main = async (): Promise<void> => {
  const seconds = Number(process.argv[2] ?? '3');
  const durationMs = ((Number.isFinite(seconds) && seconds > 0 ? seconds : 3) * 1000) / ROUNDS;
  progress(`event store append benchmark: ${ROUNDS} rounds of ${durationMs / 1000} s per case, files in ${tmpdir()}`);
  const cases: Case[] = [
    { name: 'raw better-sqlite3, 1 transaction per batch', batch: 1, run: () => rawInserts(1, durationMs) },
    { name: 'raw better-sqlite3, 1 transaction per batch', batch: 100, run: () => rawInserts(100, durationMs) },
    { name: 'adapter, sequential', batch: 1, run: () => adapterAppends(1, 1, durationMs) },
    {
      name: 'adapter, sequential, group commit off',
      batch: 1,
      run: () => adapterAppends(1, 1, durationMs, { groupCommit: false }),
    },
    { name: 'adapter, 64 concurrent appenders', batch: 1, run: () => adapterAppends(1, 64, durationMs) },
    {
      name: 'adapter, 64 concurrent, group commit off',
      batch: 1,
      run: () => adapterAppends(1, 64, durationMs, { groupCommit: false }),
    },
    { name: 'adapter, sequential', batch: 100, run: () => adapterAppends(100, 1, durationMs) },
    {
      name: 'adapter, 64 concurrent, synchronous=FULL',
      batch: 1,
      run: () => adapterAppends(1, 64, durationMs, { synchronous: 'FULL' }),
    },
    {
      name: 'adapter, 64 concurrent, synchronous=FULL, group commit off',
      batch: 1,
      run: () => adapterAppends(1, 64, durationMs, { synchronous: 'FULL', groupCommit: false }),
    },
  ];
  const results = await runCases(cases, ROUNDS);
  const baseline = (batch: number): number =>
    results.find((result) => result.name.startsWith('raw') && result.batch === batch)?.rate ?? Number.NaN;
  const lines = [
    '| case | batch | events/s (median) | vs raw, same batch | note |',
    '|---|---:|---:|---:|---|',
    ...results.map(
      (result) =>
        `| ${result.name} | ${result.batch} | ${Math.round(result.rate).toLocaleString('en')} | ` +
        `${(result.rate / baseline(result.batch)).toFixed(2)}× | ${result.note} |`,
    ),
  ];
  process.stdout.write(`\n${lines.join('\n')}\n`);
};

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
