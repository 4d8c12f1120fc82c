/**
 * What the MongoDB read store costs on FerretDB 1.24 (correctness server here, never a load server):
 *   npx tsx bench/ferretdb-read-store.ts [--url mongodb://127.0.0.1:27017/] [--documents 10000]
 * Without `--url` it starts its own FerretDB (SQLite backend, 127.0.0.1, a temporary folder) and stops it afterwards.
 * On a collection of order-sized documents it times, through the adapter: finds by `_id` (`get`, one after another),
 * `getMany` of 16 ids (lookups by `_id`) and 100 (one `$in`), unconditional updates (`putMany` with `'any'` on
 * existing documents) and conditional ones (`putMany` expecting the stored version); next to them, raw `$in` finds
 * and raw lookups by `_id`, to place the adapter's `lookupsByIdMax`.
 * Bounded: a few hundred operations in all.
 */
import { MongoClient } from 'mongodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMongoReadStore } from '../infra/mongodb/mongo-read-store';
import type { DocumentWrite, ReadStore } from '../ports/read-store';
import { startFerretDb } from '../tools/services/ferretdb';
import { removeTempDir, stopProcess } from '../tools/services/proc';

const argValue = (name: string): string | undefined => {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
};

const DOCUMENTS = Number(argValue('--documents') ?? 10_000);
const COLLECTION = 'orders';

const body = (i: number, step: number): Record<string, unknown> => ({
  orderId: `order-${i}`,
  customerId: `customer-${i % 500}`,
  status: ['Placed', 'Confirmed', 'Shipped'][step % 3],
  placedAt: new Date(1_800_000_000_000 + i * 1_000).toISOString(),
  lines: Array.from({ length: 3 }, (_, k) => ({
    sku: `SKU-${(i + k) % 100}`,
    quantity: 1 + k,
    unitPrice: { amount: 199 + k, currency: 'EUR' },
  })),
  total: { amount: 1_234, currency: 'EUR' },
  timeline: Array.from({ length: 4 }, (_, k) => ({
    at: new Date(1_800_000_000_000 + k).toISOString(),
    what: `step ${k}`,
  })),
});

/** Ids spread over the collection, distinct within one call, different between calls. */
let cursor = 0;
const nextIds = (count: number): string[] =>
  Array.from({ length: count }, () => `order-${(cursor += 7_919) % DOCUMENTS}`).filter(
    (id, index, all) => all.indexOf(id) === index,
  );

interface Row {
  readonly what: string;
  readonly operations: number;
  readonly ms: number;
}

const time = async (rows: Row[], what: string, operations: number, run: () => Promise<unknown>): Promise<void> => {
  const started = performance.now();
  await run();
  const ms = performance.now() - started;
  rows.push({ what, operations, ms });
  process.stderr.write(`${what}: ${ms.toFixed(0)} ms\n`);
};

const measure = async (url: string): Promise<Row[]> => {
  const database = `ferretdb_bench_${Date.now().toString(36)}`;
  const store: ReadStore = await openMongoReadStore({
    url,
    database,
    clientOptions: { socketTimeoutMS: 300_000 },
  });
  const raw = new MongoClient(url, { serverSelectionTimeoutMS: 5_000 });
  const rows: Row[] = [];
  try {
    await raw.connect();
    await store.ensureIndexes(COLLECTION, ['status', 'customerId', 'placedAt']);
    const loadStarted = performance.now();
    for (let start = 0; start < DOCUMENTS; start += 1_000) {
      const writes = Array.from({ length: Math.min(1_000, DOCUMENTS - start) }, (_, k): DocumentWrite => ({
        id: `order-${start + k}`,
        body: body(start + k, 0),
        progress: { $all: 1 },
        expectedVersion: 0,
      }));
      await store.putMany(COLLECTION, writes);
    }
    rows.push({
      what: `insert ${DOCUMENTS} (putMany, expected 0)`,
      operations: DOCUMENTS,
      ms: performance.now() - loadStarted,
    });
    const versions = new Map<string, number>();
    const rawOrders = raw.db(database).collection<{ _id: string }>(COLLECTION);

    await time(rows, 'find by _id (get, one after another)', 30, async () => {
      for (const id of nextIds(30)) await store.get(COLLECTION, id);
    });
    for (const count of [16, 100]) {
      await time(rows, `getMany of ${count} ids`, count, () => store.getMany(COLLECTION, nextIds(count)));
      await time(rows, `raw find {_id: {$in: ${count} ids}}`, count, () =>
        rawOrders.find({ _id: { $in: nextIds(count) } }).toArray(),
      );
    }
    const one = nextIds(100);
    await time(rows, 'raw 100 finds {_id}, 4 at a time', 100, async () => {
      for (let start = 0; start < one.length; start += 4) {
        await Promise.all(one.slice(start, start + 4).map((id) => rawOrders.findOne({ _id: id })));
      }
    });
    await time(rows, 'update by _id (putMany of 16, expected any)', 16, () =>
      store.putMany(
        COLLECTION,
        nextIds(16).map((id, k): DocumentWrite => {
          versions.set(id, 2);
          return { id, body: body(k, 1), progress: { $all: 2 }, expectedVersion: 'any' };
        }),
      ),
    );
    const conditional = nextIds(16);
    const current = await store.getMany(COLLECTION, conditional);
    await time(rows, 'update by _id (putMany of 16, expected version)', 16, () =>
      store.putMany(
        COLLECTION,
        conditional.map((id, k): DocumentWrite => ({
          id,
          body: body(k, 2),
          progress: { $all: 3 },
          expectedVersion: current.get(id)?.version ?? 0,
        })),
      ),
    );
    await raw.db(database).dropDatabase();
    return rows;
  } finally {
    await store.close();
    await raw.close();
  }
};

const report = (rows: readonly Row[]): void => {
  const lines = rows.map(
    ({ what, operations, ms }) =>
      `| ${what.padEnd(48)} | ${String(operations).padStart(6)} | ${ms.toFixed(0).padStart(8)} | ${((operations * 1_000) / ms).toFixed(1).padStart(8)} |`,
  );
  process.stdout.write(
    [
      `FerretDB read store, ${DOCUMENTS.toLocaleString('en-US')} documents, ${new Date().toISOString()}`,
      `| ${'operation'.padEnd(48)} | ${'docs'.padStart(6)} | ${'ms'.padStart(8)} | ${'docs/s'.padStart(8)} |`,
      ...lines,
      '',
    ].join('\n'),
  );
};

const main = async (): Promise<void> => {
  const given = argValue('--url');
  if (given !== undefined) {
    report(await measure(given));
    return;
  }
  const logDir = mkdtempSync(join(tmpdir(), 'ferretdb-bench-'));
  const server = await startFerretDb({ logPath: join(logDir, 'ferretdb.log') });
  try {
    report(await measure(server.url));
  } finally {
    await stopProcess(server.pid, server.dataDir, 'ferretdb', 10_000);
    removeTempDir(server.dataDir);
    rmSync(logDir, { recursive: true, force: true });
  }
};

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
