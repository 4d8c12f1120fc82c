import { expect } from 'chai';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { PgEventStore } from '../../infra/postgres/pg-event-store';
import type { EventStore, RecordedEvent } from '../../ports/event-store';
import type { ReadStore } from '../../ports/read-store';
import { allProjections } from '../../projections';
import { foldStore } from '../../projections/fold';
import { collectionName } from '../../projections/projection';
import { startEngineProcess, type EngineProcess } from '../../tools/services/engine-process';

/** What the distributed scale and fault specs share: the processes on PostgreSQL and Kafka, and the checks. */

export const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this suite through npm run test:services`);
  return value;
};

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const logHas = (p: EngineProcess, text: string): boolean => readFileSync(p.logFile, 'utf8').includes(text);

/**
 * A suite's temp dir holds its processes' logs and data: `removeTestDir` deletes it after the suite unless one of its
 * tests failed (or `KEEP_TEST_LOGS` is set), and then says where it is, for the post-mortem. Call `trackFailures` in
 * the suite's body.
 */
export const trackFailures = (): { readonly failed: boolean } => {
  const state = { failed: false };
  afterEach(function () {
    if (this.currentTest?.state === 'failed') state.failed = true;
  });
  return state;
};

export const removeTestDir = (dir: string | undefined, failures: { readonly failed: boolean }): void => {
  if (dir === undefined) return;
  if (failures.failed || process.env.KEEP_TEST_LOGS !== undefined) {
    console.error(`      kept ${dir}: the logs of this suite's processes`);
    return;
  }
  rmSync(dir, { recursive: true, force: true });
};

export const RELAY_HOLDS_LEASE = '"msg":"relay holds the lease"';

export interface ClusterOptions {
  readonly dir: string;
  readonly postgresUrl: string;
  readonly eventSchema: string;
  readonly readSchema: string;
  /** topics and consumer groups of this run */
  readonly topicPrefix: string;
  readonly env?: Readonly<Record<string, string>>;
}

/** The distributed engine's processes on PostgreSQL and Kafka, each started as a real process with its own DATA_DIR. */
export class Cluster {
  readonly processes: EngineProcess[] = [];
  readonly env: Record<string, string>;

  constructor(private readonly options: ClusterOptions) {
    this.env = {
      EVENT_STORE: 'postgres',
      READ_STORE: 'postgres',
      BUS: 'kafka',
      POSTGRES_URL: options.postgresUrl,
      POSTGRES_EVENT_SCHEMA: options.eventSchema,
      POSTGRES_READ_SCHEMA: options.readSchema,
      KAFKA_BROKERS: required('KAFKA_BROKERS'),
      KAFKA_TOPIC_PREFIX: options.topicPrefix,
      // a SIGKILLed consumer's partitions move after this; its saga runner's unfinished steps after the takeover time
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      SAGA_TAKEOVER_MS: '3000',
      PROJECTION_BATCH: '200',
      READ_WAIT_MS: '20000',
      FLOW_CONTROL: 'off',
      PROVIDER_BREAKER: 'off',
      ...options.env,
    };
  }

  async start(name: string, subcommand: string, extra: Readonly<Record<string, string>> = {}): Promise<EngineProcess> {
    const p = await startEngineProcess({
      name,
      subcommand,
      env: { ...this.env, DATA_DIR: join(this.options.dir, name), ...extra },
      logDir: this.options.dir,
    });
    this.processes.push(p);
    return p;
  }

  /** The shared payment provider first: every saga runner started after it calls it. */
  async startPaymentSimulator(extra: Readonly<Record<string, string>> = {}): Promise<EngineProcess> {
    const simulator = await this.start('payment-simulator', 'payment-simulator', extra);
    this.env.PAYMENT_PROVIDER_URL = simulator.url;
    return simulator;
  }

  async stopAll(): Promise<void> {
    for (const p of [...this.processes].reverse()) await p.stop(5_000).catch(() => undefined);
  }
}

/** A command API call that must succeed. */
export const call = async (
  api: EngineProcess,
  method: string,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> => {
  const r = await fetch(`${api.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await r.json()) as Record<string, unknown>;
  if (!r.ok) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(json)}`);
  return json;
};

/**
 * Waits until nothing was appended for `quietMs` (bounded by `timeoutMs`): an order that ended still gets events after
 * (the capture beside the confirmation, saga bookkeeping), and the checks must see them all.
 */
export const untilQuiet = async (store: EventStore, quietMs = 3_000, timeoutMs = 60_000): Promise<number> => {
  const deadline = Date.now() + timeoutMs;
  let head = await store.headPosition();
  let since = Date.now();
  while (Date.now() - since < quietMs && Date.now() < deadline) {
    await sleep(250);
    const now = await store.headPosition();
    if (now !== head) [head, since] = [now, Date.now()];
  }
  return head;
};

export const readAllEvents = async (store: EventStore): Promise<RecordedEvent[]> => {
  const events: RecordedEvent[] = [];
  for (;;) {
    const page = await store.readAll({ after: events[events.length - 1]?.position ?? 0, maxCount: 5_000 });
    if (page.length === 0) return events;
    events.push(...page);
  }
};

const typeOf = (e: RecordedEvent): string => e.type.replace(/\.v\d+$/, '');

/** Polls the order streams until every order is confirmed or cancelled; answers those that never ended. */
export const ordersNotEnded = async (
  store: PgEventStore,
  orderIds: readonly string[],
  timeoutMs: number,
): Promise<string[]> => {
  const ended = new Set<string>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const orderId of orderIds) {
      if (ended.has(orderId)) continue;
      const types = (await store.readStream(`order-${orderId}`)).map(typeOf);
      if (types.includes('OrderConfirmed') || types.includes('OrderCancelled')) ended.add(orderId);
    }
    if (ended.size === orderIds.length || Date.now() > deadline) return orderIds.filter((id) => !ended.has(id));
    await sleep(1_000);
  }
};

/** For a failure message: the event types of a few stuck orders' order, saga and payment streams. */
export const describeOrders = async (store: EventStore, orderIds: readonly string[], max = 3): Promise<string> => {
  const lines: string[] = [];
  for (const orderId of orderIds.slice(0, max)) {
    for (const stream of [`order-${orderId}`, `saga-fulfilment-${orderId}`, `payment-${orderId}`]) {
      const events = await store.readStream(stream);
      lines.push(`${stream}: ${events.map((e) => `${typeOf(e)}@${e.position}`).join(', ') || '(none)'}`);
    }
  }
  return lines.join('\n');
};

/** How often each event type occurs in each stream. */
export const countsByStream = (events: readonly RecordedEvent[]): ((streamId: string, type: string) => number) => {
  const counts = new Map<string, number>();
  for (const e of events) {
    const key = `${e.streamId} ${typeOf(e)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return (streamId, type) => counts.get(`${streamId} ${type}`) ?? 0;
};

/**
 * Each order ended once; at most one authorization and one capture per order, and exactly one capture for a confirmed
 * one. Answers the confirmed orders.
 */
export const expectEachOrderOnce = (events: readonly RecordedEvent[], orderIds: readonly string[]): string[] => {
  const count = countsByStream(events);
  const confirmed: string[] = [];
  for (const orderId of orderIds) {
    expect(count(`payment-${orderId}`, 'PaymentAuthorized'), `${orderId} authorized`).to.be.at.most(1);
    expect(count(`payment-${orderId}`, 'PaymentCaptured'), `${orderId} captured`).to.be.at.most(1);
    const isConfirmed = count(`order-${orderId}`, 'OrderConfirmed');
    expect(isConfirmed + count(`order-${orderId}`, 'OrderCancelled'), `${orderId} ended once`).to.equal(1);
    if (isConfirmed === 1) {
      confirmed.push(orderId);
      expect(count(`payment-${orderId}`, 'PaymentCaptured'), `${orderId} confirmed and captured`).to.equal(1);
    }
  }
  return confirmed;
};

/** Every read model's documents against a fresh fold of the event store; answers the first difference, if any. */
export const firstDifference = async (readStore: ReadStore, store: EventStore): Promise<string | undefined> => {
  for (const projection of allProjections) {
    const expected = await foldStore(projection, store);
    const docs = new Map<string, unknown>();
    let after: string | undefined;
    do {
      const page = await readStore.query(collectionName(projection), { limit: 500, ...(after ? { after } : {}) });
      for (const d of page.items) docs.set(d.id, d.body);
      after = page.next;
    } while (after);
    if (docs.size !== expected.size) return `${projection.name}: ${docs.size} documents, the fold has ${expected.size}`;
    for (const [id, doc] of expected) {
      let got = docs.get(id) as Record<string, unknown> | undefined;
      let want = doc as Record<string, unknown>;
      if (projection.name === 'sales') {
        // rankings depend on cross-partition arrival order; every counter must be exact
        const { topSkus: _a, cancelledByReason: _b, ...exact } = got ?? {};
        const { topSkus: _c, cancelledByReason: _d, ...wanted } = want;
        [got, want] = [exact, wanted];
      }
      try {
        expect(got).to.deep.equal(want);
      } catch {
        return `${projection.name}/${id}: ${JSON.stringify(got)} is not the fold's ${JSON.stringify(want)}`;
      }
    }
  }
  return undefined;
};

/**
 * Once the read API says the orders model reached `head`, every document of every read model equals a fresh fold of
 * the event store (sales rankings aside: they depend on the order events arrive in across partitions). The other read
 * models may finish the last batch a moment later: they get `settleMs` to match.
 */
export const expectReadModelsEqualFold = async (
  readApi: EngineProcess,
  head: number,
  readStore: ReadStore,
  store: EventStore,
  settleMs = 20_000,
): Promise<void> => {
  const r = await fetch(`${readApi.url}/v1/orders?limit=1`, { headers: { 'X-Min-Position': String(head) } });
  expect(r.status).to.equal(200);
  expect(r.headers.get('x-stale'), 'the read models reached the head').to.equal(null);
  const deadline = Date.now() + settleMs;
  let difference = await firstDifference(readStore, store);
  while (difference !== undefined && Date.now() < deadline) {
    await sleep(500);
    difference = await firstDifference(readStore, store);
  }
  expect(difference, 'a read model differs from the fold of the log').to.equal(undefined);
};
