import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMongoReadStore } from '../../infra/mongodb/mongo-read-store';
import type { ReadStore } from '../../ports/read-store';
import { openSqliteEventStore } from '../../infra/sqlite/sqlite-event-store';
import { startEngineProcess, type EngineProcess } from '../../tools/services/engine-process';
import { firstDifference, removeTestDir, trackFailures } from './cluster-kit';

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this suite through npm run test:services`);
  return value;
};

const ORDERS = 1_000;
const SKUS = ['MUG-1', 'TEE-1', 'CAP-1', 'BAG-1', 'PEN-1'];

describe('the distributed engine (separate processes, real Kafka and FerretDB)', function () {
  const failures = trackFailures();
  this.timeout(300_000);
  const run = `d${Date.now().toString(36)}`;
  let dir: string;
  let env: Record<string, string>;
  const processes: EngineProcess[] = [];
  let readStore: ReadStore;

  const start = async (name: string, sub: string): Promise<EngineProcess> => {
    const p = await startEngineProcess({ name, subcommand: sub, env, logDir: dir });
    processes.push(p);
    return p;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'commerce-distributed-'));
    env = {
      DATA_DIR: dir,
      SQLITE_PATH: join(dir, 'events.db'),
      READ_STORE: 'mongodb',
      MONGODB_URL: required('MONGODB_URL'),
      MONGODB_DATABASE: run,
      BUS: 'kafka',
      KAFKA_BROKERS: required('KAFKA_BROKERS'),
      KAFKA_TOPIC_PREFIX: `${run}.`,
      PROJECTION_BATCH: '200',
      READ_WAIT_MS: '20000',
      // no saga runner runs here: flow control would shed placements once its backlog is 3 s old (ADR 0027)
      FLOW_CONTROL: 'off',
    };
    readStore = await openMongoReadStore({ url: env.MONGODB_URL ?? '', database: run });
  });

  after(async () => {
    for (const p of processes) await p.stop(5_000).catch(() => undefined);
    for (const c of await readStore.listCollections().catch(() => []))
      await readStore.dropCollection(c).catch(() => undefined);
    await readStore.close();
    removeTestDir(dir, failures);
  });

  it('shows 1,000 orders placed over HTTP exactly right, even after a projector is SIGKILLed mid-run', async () => {
    const commandApi = await start('command-api', 'command-api');
    await start('relay', 'relay');
    const projectorA = await start('projector-a', 'projector');
    await start('projector-b', 'projector');
    const readApi = await start('read-api', 'read-api');

    const call = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
      const r = await fetch(`${commandApi.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const json = (await r.json()) as Record<string, unknown>;
      if (!r.ok) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(json)}`);
      return json;
    };
    for (const [i, sku] of SKUS.entries()) {
      await call('PUT', `/v1/skus/${sku}`, { name: sku, unitPrice: { amount: 500 + i * 250, currency: 'EUR' } });
      await call('POST', `/v1/skus/${sku}/restock`, { quantity: 10_000 });
    }

    let last = 0;
    let replacement: EngineProcess | undefined;
    const place = async (i: number): Promise<void> => {
      const lines = [
        { sku: SKUS[i % SKUS.length] ?? 'MUG-1', quantity: 1 + (i % 3) },
        ...(i % 4 === 0 ? [{ sku: 'PEN-1', quantity: 2 }] : []),
      ];
      const unique = lines.filter((l, k) => lines.findIndex((m) => m.sku === l.sku) === k);
      const r = await call('POST', '/v1/orders', {
        orderId: `${run}-o-${i}`,
        customerId: `c-${i % 17}`,
        lines: unique,
        payment: { token: 'tok_approve' },
      });
      last = Math.max(last, r.position as number);
      if (i % 9 === 0) await call('POST', `/v1/orders/${run}-o-${i}/cancel`, { reason: 'customer changed mind' });
    };
    const concurrency = 16;
    for (let i = 0; i < ORDERS; i += concurrency) {
      await Promise.all(Array.from({ length: Math.min(concurrency, ORDERS - i) }, (_, k) => place(i + k)));
      if (i === 304) await projectorA.kill(); // mid-run, whatever it was doing
      if (i === 608) replacement = await start('projector-a2', 'projector');
    }
    expect(replacement, 'the replacement projector started').to.not.equal(undefined);

    // read-your-writes across processes: one wait for the last position, then every page is complete
    const seen = new Map<string, Record<string, unknown>>();
    let cursor: string | undefined;
    let first = true;
    do {
      const r = await fetch(
        `${readApi.url}/v1/orders?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        { headers: first ? { 'X-Min-Position': String(last) } : {} },
      );
      expect(r.status).to.equal(200);
      if (first) expect(r.headers.get('x-stale'), 'the read API reached the last write').to.equal(null);
      first = false;
      const page = (await r.json()) as { items: Record<string, unknown>[]; next?: string };
      for (const o of page.items) seen.set(o.orderId as string, o);
      cursor = page.next;
    } while (cursor);
    expect(seen.size).to.equal(ORDERS);

    // every document of every read model equals a fresh fold of the event store
    const store = openSqliteEventStore({ path: env.SQLITE_PATH ?? '' });
    try {
      expect(await firstDifference(readStore, store)).to.equal(undefined);
    } finally {
      await store.close();
    }
  });
});
