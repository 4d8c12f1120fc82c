import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPgEventStore, type PgEventStore } from '../../infra/postgres/pg-event-store';
import { openPgReadStore } from '../../infra/postgres/pg-read-store';
import type { ReadStore } from '../../ports/read-store';
import type { EngineProcess } from '../../tools/services/engine-process';
import { startOwnedRestartable, type RestartableService } from '../../tools/services/harness';
import { servicesDir } from '../../tools/services/paths';
import { postgresSchemas } from '../postgres-schemas';
import {
  Cluster,
  call,
  expectEachOrderOnce,
  expectReadModelsEqualFold,
  ordersNotEnded,
  readAllEvents,
  sleep,
  untilQuiet,
  describeOrders,
  removeTestDir,
  trackFailures,
} from './cluster-kit';

const ORDERS = 200;
const CONCURRENCY = 8;
const HOT_STOCK = 30;
const SKUS = ['MUG-1', 'TEE-1', 'CAP-1', 'HOT-1'];
/** how long the server stays down, once stopped (FAULT_DOWN_MS tries a longer outage by hand) */
const DOWN_MS = Number(process.env.FAULT_DOWN_MS ?? 5_000);

/** A POST /v1/orders answer: its status and, for an error, its content type and body. */
interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: Record<string, unknown>;
}

/** Places one order (the order id doubles as the Idempotency-Key, so a retry is the same command). */
const postOrder = async (api: EngineProcess, orderId: string, i: number): Promise<Answer> => {
  const lines = [
    { sku: SKUS[i % 3] ?? 'MUG-1', quantity: 1 + (i % 2) },
    ...(i % 3 === 0 ? [{ sku: 'HOT-1', quantity: 1 }] : []),
  ];
  try {
    const r = await fetch(`${api.url}/v1/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': orderId },
      body: JSON.stringify({
        orderId,
        customerId: `c-${i % 17}`,
        lines,
        payment: { token: i % 10 === 7 ? 'tok_decline' : 'tok_approve' },
      }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await r.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = { text };
    }
    return { status: r.status, contentType: r.headers.get('content-type') ?? '', body };
  } catch (error) {
    return { status: 0, contentType: '', body: { error: String(error) } };
  }
};

/** The distributed engine, two of each process kind, as in the scale-out spec; answers the command APIs and read API. */
const startEngine = async (
  c: Cluster,
): Promise<{ apis: EngineProcess[]; readApi: EngineProcess; all: () => readonly EngineProcess[] }> => {
  await c.startPaymentSimulator();
  await c.start('relay-a', 'relay');
  await c.start('relay-b', 'relay');
  const apis = [await c.start('command-api-a', 'command-api'), await c.start('command-api-b', 'command-api')];
  await c.start('projector-a', 'projector');
  await c.start('projector-b', 'projector');
  await c.start('saga-runner-a', 'saga-runner');
  await c.start('saga-runner-b', 'saga-runner');
  const readApi = await c.start('read-api', 'read-api');
  for (const [i, sku] of SKUS.entries()) {
    await call(apis[0] as EngineProcess, 'PUT', `/v1/skus/${sku}`, {
      name: sku,
      unitPrice: { amount: 500 + i * 250, currency: 'EUR' },
    });
    await call(apis[1] as EngineProcess, 'POST', `/v1/skus/${sku}/restock`, {
      quantity: sku === 'HOT-1' ? HOT_STOCK : 10_000,
    });
  }
  return { apis, readApi, all: () => c.processes };
};

interface LoadResult {
  readonly orderIds: string[];
  /** every answer that was not a 2xx, in order */
  readonly failures: { readonly orderId: string; readonly answer: Answer; readonly at: number }[];
}

/**
 * Places ORDERS orders, CONCURRENCY at a time through both command APIs, calling `fault` (not awaited) once a third
 * is placed. A POST that is not answered 2xx is retried with the same order id (and Idempotency-Key) until it is.
 */
const placeOrders = async (
  apis: readonly EngineProcess[],
  run: string,
  fault: () => Promise<void>,
  deadlineMs: number,
): Promise<{ load: LoadResult; faultDone: Promise<void> }> => {
  const orderIds: string[] = [];
  const failures: LoadResult['failures'] = [];
  const deadline = Date.now() + deadlineMs;
  let faultDone: Promise<void> = Promise.resolve();
  const place = async (i: number): Promise<void> => {
    const orderId = `${run}-o-${i}`;
    for (let attempt = 0; ; attempt++) {
      const answer = await postOrder(apis[(i + attempt) % apis.length] as EngineProcess, orderId, i);
      if (answer.status >= 200 && answer.status < 300) {
        orderIds.push(orderId);
        return;
      }
      failures.push({ orderId, answer, at: Date.now() });
      if (Date.now() > deadline) throw new Error(`${orderId} still refused at the deadline: ${JSON.stringify(answer)}`);
      await sleep(Math.min(2_000, 200 * 2 ** Math.min(attempt, 4)));
    }
  };
  for (let i = 0; i < ORDERS; i += CONCURRENCY) {
    if (i <= ORDERS / 3 && ORDERS / 3 < i + CONCURRENCY) faultDone = fault();
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, ORDERS - i) }, (_, k) => place(i + k)));
    await sleep(60);
  }
  return { load: { orderIds, failures }, faultDone };
};

/** Every process of the cluster is still the one the test started: none exited (none was restarted either). */
const expectAllAlive = (processes: readonly EngineProcess[]): void => {
  for (const p of processes) {
    expect(
      { name: p.name, exitCode: p.child.exitCode, signal: p.child.signalCode },
      `${p.name} is still running:\n${p.tail(15)}`,
    ).to.deep.equal({ name: p.name, exitCode: null, signal: null });
  }
};

/** What the processes logged about riding the outage out: per log message, how many processes wrote it and how often. */
const recoveries = (processes: readonly EngineProcess[]): string => {
  const messages = [
    'relay failed; starting it again',
    'relay lost its lease; stopping, then waiting for it again',
    'consumer failed; starting it again',
    'store unavailable',
  ];
  return messages
    .map((message) => {
      const counts = processes.map((p) => readFileSync(p.logFile, 'utf8').split(`"msg":"${message}"`).length - 1);
      const total = counts.reduce((a, b) => a + b, 0);
      return `"${message}" ×${total} in ${counts.filter((n) => n > 0).length} processes`;
    })
    .join('; ');
};

/** Every order ended exactly once, and the read models equal a fresh fold of the event store. */
const expectNothingLost = async (
  store: PgEventStore,
  readStore: ReadStore,
  readApi: EngineProcess,
  orderIds: readonly string[],
): Promise<void> => {
  const stuck = await ordersNotEnded(store, orderIds, 150_000);
  if (stuck.length > 0) process.stdout.write(`      stuck orders:\n${await describeOrders(store, stuck)}\n`);
  expect(stuck.slice(0, 10), `${stuck.length} orders never ended`).to.deep.equal([]);
  // an ended order still gets events (the capture beside the confirmation, saga bookkeeping): let them all come
  await untilQuiet(store);
  const events = await readAllEvents(store);
  const confirmed = expectEachOrderOnce(events, orderIds);
  expect(confirmed.length, 'declined cards and the sold-out SKU cancel some orders, not all').to.be.within(
    ORDERS / 2,
    ORDERS - ORDERS / 10,
  );
  await expectReadModelsEqualFold(readApi, events[events.length - 1]?.position ?? 0, readStore, store);
};

/**
 * Issue 17's fault tests: the distributed engine (every process its own OS process, two of each kind) under load,
 * and a server it depends on stopped for a few seconds and started again on the same port with the same data. The
 * processes are never restarted by the test: they must ride the outage out and resume by themselves, and nothing
 * is lost (every order ends exactly once, read models equal a fresh fold). The restarted servers are this spec's own,
 * so the shared ones other specs use are never touched.
 */
describe('the distributed engine under load while a server it depends on restarts', function () {
  const failures = trackFailures();
  this.timeout(300_000);
  const schemas = postgresSchemas('faults');
  const run = `f${Date.now().toString(36)}`;
  let dir: string;
  let cluster: Cluster | undefined;
  let server: RestartableService | undefined;
  let store: PgEventStore | undefined;
  let readStore: ReadStore | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'commerce-faults-'));
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && cluster !== undefined) {
      for (const p of cluster.processes) process.stdout.write(`--- ${p.name} (${p.logFile}) ---\n${p.tail(12)}\n`);
    }
    await cluster?.stopAll();
    cluster = undefined;
    await store?.close();
    store = undefined;
    await readStore?.close();
    readStore = undefined;
    await server?.dispose();
    server = undefined;
  });
  after(() => {
    removeTestDir(dir, failures);
  });

  it('(a) Kafka restarted mid-load: every process resumes by itself, every order ends once, read models equal the fold', async () => {
    const kafka = await startOwnedRestartable('kafka', join(dir, 'kafka.log'));
    server = kafka;
    const [eventSchema, readSchema] = [schemas.next(), schemas.next()];
    const c = new Cluster({
      dir: join(dir, 'a'),
      postgresUrl: schemas.url,
      eventSchema,
      readSchema,
      topicPrefix: `${run}a.`,
      env: { KAFKA_BROKERS: kafka.record.url },
    });
    cluster = c;
    mkdirSync(join(dir, 'a'));
    const { apis, readApi, all } = await startEngine(c);

    const started = Date.now();
    let downFor = 0;
    const { load, faultDone } = await placeOrders(
      apis,
      `${run}a`,
      async () => {
        const down = Date.now();
        await kafka.stop();
        await sleep(DOWN_MS);
        await kafka.start();
        downFor = Date.now() - down;
      },
      120_000,
    );
    await faultDone;
    expect(kafka.running).to.equal(true);
    expect(downFor, 'Kafka was down a while').to.be.greaterThan(DOWN_MS);
    // the command APIs never need Kafka: no order was refused
    expect(load.failures.slice(0, 3), 'POSTs refused while Kafka was down').to.deep.equal([]);

    store = await openPgEventStore({ url: schemas.url, schema: eventSchema });
    readStore = await openPgReadStore({ url: schemas.url, schema: readSchema });
    await expectNothingLost(store, readStore, readApi, load.orderIds);
    expectAllAlive(all());
    process.stdout.write(
      `      Kafka down ${(downFor / 1000).toFixed(1)} s; ${load.orderIds.length} orders ended once in ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s\n      ${recoveries(all())}\n`,
    );
  });

  it('(b) PostgreSQL restarted mid-load: the command API answers 503 problem+json while it is down, then recovers; nothing is lost', async () => {
    // the server runs as the postgres OS user, who may not enter this spec's temp folder: its log goes beside the shared one's
    const postgres = await startOwnedRestartable('postgres', join(servicesDir(), 'faults-postgres.log'));
    server = postgres;
    const c = new Cluster({
      dir: join(dir, 'b'),
      postgresUrl: postgres.record.url,
      eventSchema: 'faults_events',
      readSchema: 'faults_read',
      topicPrefix: `${run}b.`,
    });
    cluster = c;
    mkdirSync(join(dir, 'b'));
    const { apis, readApi, all } = await startEngine(c);

    const started = Date.now();
    let down: { from: number; to: number } | undefined;
    let readWhileDown: { status: number; type: string } | undefined;
    const { load, faultDone } = await placeOrders(
      apis,
      `${run}b`,
      async () => {
        const from = Date.now();
        await postgres.stop();
        // a read while the read store is down: 503 problem+json too, not a 500
        const read = await fetch(`${readApi.url}/v1/orders?limit=1`);
        readWhileDown = { status: read.status, type: read.headers.get('content-type') ?? '' };
        await sleep(DOWN_MS);
        await postgres.start();
        down = { from, to: Date.now() };
      },
      150_000,
    );
    await faultDone;
    expect(postgres.running).to.equal(true);
    if (down === undefined) throw new Error('PostgreSQL was never stopped');
    const { from, to } = down;
    const whileDown = load.failures.filter((f) => f.at > from && f.at <= to + 1_000);
    const unavailable = whileDown.filter(
      (f) => f.answer.status === 503 && f.answer.contentType.startsWith('application/problem+json'),
    );
    const statuses = (fs: LoadResult['failures']): string =>
      JSON.stringify(fs.map((f) => `${f.answer.status} ${f.answer.contentType.split(';')[0] ?? ''}`).slice(0, 20));
    expect(
      unavailable.length,
      `POSTs answered 503 problem+json while PostgreSQL was down (refusals: ${statuses(load.failures)}, ` +
        `first: ${JSON.stringify(load.failures[0]?.answer)})`,
    ).to.be.greaterThan(0);
    expect(readWhileDown?.status, 'a read API request while PostgreSQL was down').to.equal(503);
    expect(readWhileDown?.type).to.match(/^application\/problem\+json/);
    // a refusal is a 503 (or another 5xx from a request that was in flight when the server went), never a 4xx
    const refusedOtherwise = load.failures.filter((f) => f.answer.status < 500);
    expect(refusedOtherwise.slice(0, 3), 'refusals other than 5xx').to.deep.equal([]);

    store = await openPgEventStore({ url: postgres.record.url, schema: 'faults_events' });
    readStore = await openPgReadStore({ url: postgres.record.url, schema: 'faults_read' });
    await expectNothingLost(store, readStore, readApi, load.orderIds);
    expectAllAlive(all());
    process.stdout.write(
      `      PostgreSQL down ${((to - from) / 1000).toFixed(1)} s; ${load.failures.length} refused POSTs ` +
        `(${unavailable.length} 503 problem+json while down), retried; ${load.orderIds.length} orders ended once in ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s\n      ${recoveries(all())}\n`,
    );
  });
});
