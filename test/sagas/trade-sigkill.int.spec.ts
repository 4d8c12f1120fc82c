import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEngineProcess, type EngineProcess } from '../../tools/services/engine-process';
import { isAlive, processTree, sleep } from '../../tools/services/proc';
import { expectEachTradeOnce, type TradeOrder, type TradeTypeName } from './order-log-checks';
import { defineSku, restock } from './runner-harness';

const ORDERS = 120;
const UNITS = 80;
const SKU = 'HOT-T';
const PRICE = 500;
/** 30 % of 5.00 */
const DEPOSIT = 150;

/**
 * Two channels: a brand mall taking standard orders and cash on delivery, and a pre-sale channel taking standard
 * orders and pre-sales whose balance window is open for the whole test (from an hour ago to an hour from now).
 */
const channelsFile = (now: number): string => `
mall:
  name: Brand mall
  tradeTypes: [standard, cod]
  currencies: [EUR]
  paymentTimeoutMs: 600000
  reservationTtlMs: 1200000
  promotions: []
  partialRefunds: true
  refundWindowDays: 30
  cod: { maxAmount: 10000, currency: EUR }
pre:
  name: Pre-sale
  tradeTypes: [standard, presale]
  currencies: [EUR]
  paymentTimeoutMs: 600000
  reservationTtlMs: 1200000
  promotions: []
  partialRefunds: true
  refundWindowDays: 30
  presale:
    depositBasisPoints: 3000
    balanceFrom: '${new Date(now - 3_600_000).toISOString()}'
    balanceUntil: '${new Date(now + 3_600_000).toISOString()}'
    lateBalance: refundDeposit
`;

/** Four kinds of order in turn: standard and COD through the mall, standard and pre-sale through the pre-sale channel. */
const kinds: readonly { readonly channel: string; readonly tradeType: TradeTypeName }[] = [
  { channel: 'mall', tradeType: 'standard' },
  { channel: 'mall', tradeType: 'cod' },
  { channel: 'pre', tradeType: 'standard' },
  { channel: 'pre', tradeType: 'presale' },
];
const orders: readonly TradeOrder[] = Array.from({ length: ORDERS }, (_, i) => {
  const kind = kinds[i % kinds.length] ?? { channel: 'mall', tradeType: 'standard' };
  return { orderId: `t-${i}`, ...kind };
});

const eur = (amount: number) => ({ amount, currency: 'EUR' });

const send = async (url: string, method: string, path: string, body: unknown): Promise<number> => {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return response.status;
};

const placeAll = async (url: string, batch: readonly TradeOrder[]): Promise<void> => {
  const statuses = await Promise.all(
    batch.map(({ orderId, channel, tradeType }) =>
      send(url, 'POST', '/v1/orders', {
        orderId,
        customerId: `cust-${orderId}`,
        lines: [{ sku: SKU, quantity: 1 }],
        payment: { token: 'tok_approve' },
        channel,
        tradeType,
      }),
    ),
  );
  expect(statuses.every((s) => s === 202)).to.equal(true);
};

interface OrderDoc {
  readonly status?: string;
  readonly payment?: { readonly captured?: { readonly amount?: number } } | null;
}

const readOrder = async (url: string, orderId: string): Promise<OrderDoc> =>
  (await (await fetch(`${url}/v1/orders/${orderId}`)).json()) as OrderDoc;

/** Waits until every order's read document passes `done`; answers the documents. */
const until = async (
  url: string,
  what: string,
  done: (order: TradeOrder, doc: OrderDoc) => boolean,
  timeoutMs: number,
): Promise<Map<string, OrderDoc>> => {
  const deadline = Date.now() + timeoutMs;
  const docs = new Map<string, OrderDoc>();
  const open = new Set(orders);
  for (;;) {
    for (const order of [...open]) {
      const doc = await readOrder(url, order.orderId);
      docs.set(order.orderId, doc);
      if (done(order, doc)) open.delete(order);
    }
    if (open.size === 0) return docs;
    const [example] = [...open];
    if (Date.now() > deadline) {
      throw new Error(
        `${open.size} orders not ${what}, e.g. ${example?.orderId ?? ''} (${example?.tradeType ?? ''}): ` +
          JSON.stringify(example === undefined ? null : docs.get(example.orderId)),
      );
    }
    await sleep(200);
  }
};

/** The first phase's end: each order held (per its trade type) or cancelled. */
const heldOrCancelled = (order: TradeOrder, doc: OrderDoc): boolean =>
  doc.status === 'Cancelled' ||
  (order.tradeType === 'presale' ? doc.status === 'AwaitingBalance' : doc.status === 'Confirmed');

/** The end: each order finished as its trade type finishes, with the whole total taken, or cancelled. */
const finished = (order: TradeOrder, doc: OrderDoc): boolean => {
  if (doc.status === 'Cancelled') return true;
  const final = order.tradeType === 'cod' ? 'Delivered' : 'Confirmed';
  return doc.status === final && doc.payment?.captured?.amount === PRICE;
};

/** Delivers every confirmed COD order for its total and pays every waiting pre-sale's balance. */
const completeTrades = async (url: string, docs: ReadonlyMap<string, OrderDoc>): Promise<number> => {
  const requests = orders.flatMap(({ orderId, tradeType }) => {
    const status = docs.get(orderId)?.status;
    if (tradeType === 'cod' && status === 'Confirmed') {
      return [send(url, 'POST', `/v1/orders/${orderId}/deliver`, { collected: eur(PRICE) })];
    }
    if (tradeType === 'presale' && status === 'AwaitingBalance') {
      return [send(url, 'POST', `/v1/orders/${orderId}/balance`, { payment: { token: 'tok_approve' } })];
    }
    return [];
  });
  const statuses = await Promise.all(requests);
  expect(statuses.every((s) => s === 202)).to.equal(true);
  return statuses.length;
};

const workersOf = (engine: EngineProcess): number[] => {
  const [, ...workers] = processTree(engine.pid);
  expect(workers, `serve (${engine.pid}) runs two workers`).to.have.length(2);
  return workers;
};

const killAll = (pids: readonly number[]): void => {
  for (const pid of pids) process.kill(pid, 'SIGKILL');
};

/**
 * `serve` (split layout) with two channels, taking standard, cash-on-delivery and pre-sale orders through both, killed
 * mid-load; every order then finishes its own trade flow exactly once.
 */
describe('serve with channels and trade types killed with SIGKILL mid-load', function () {
  this.timeout(120_000);
  let dir: string;
  let running: EngineProcess | undefined;
  // as in split-sigkill: provider latency keeps payments in flight at the kill, every placement reaches the saga,
  // and no breaker (a restarted simulator has forgotten the first one's authorizations)
  const env = (): Record<string, string> => ({
    DATA_DIR: dir,
    CHANNELS: join(dir, 'channels.yaml'),
    SIM_LATENCY_MS: '50-200',
    PROVIDER_BACKOFF_MS: '10',
    FLOW_CONTROL: 'off',
    PROVIDER_BREAKER: 'off',
  });
  const check = () =>
    expectEachTradeOnce(join(dir, 'events.db'), { orders, sku: SKU, units: UNITS, total: PRICE, deposit: DEPOSIT });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'commerce-trade-kill-'));
    writeFileSync(join(dir, 'channels.yaml'), channelsFile(Date.now()));
  });
  afterEach(async () => {
    await running?.kill();
    running = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const given = async (url: string): Promise<void> => {
    const [define, stock] = [defineSku(SKU, PRICE), restock(SKU, UNITS)];
    expect(await send(url, define.method, define.path, define.body)).to.equal(201);
    expect(await send(url, stock.method, stock.path, stock.body)).to.equal(200);
  };

  it('starts its workers again each time they are killed, and finishes every trade once', async () => {
    const started = Date.now();
    running = await startEngineProcess({ name: 'serve', subcommand: 'serve', env: env(), logDir: dir });
    const { url } = running;
    await given(url);

    // killed while placing
    const first = workersOf(running);
    const placing = placeAll(url, orders.slice(0, ORDERS / 2));
    await sleep(150);
    killAll(first);
    await placing;
    await placeAll(url, orders.slice(ORDERS / 2));
    const docs = await until(url, 'held or cancelled', heldOrCancelled, 40_000);

    // killed again while deliveries are recorded and balances paid
    const second = workersOf(running);
    expect(second.filter((pid) => first.includes(pid))).to.deep.equal([]);
    const completing = completeTrades(url, docs);
    await sleep(100);
    killAll(second);
    expect(await completing).to.be.greaterThan(0);
    await until(url, 'finished', finished, 40_000);

    expect(workersOf(running).filter((pid) => first.includes(pid) || second.includes(pid))).to.deep.equal([]);
    const log = readFileSync(running.logFile, 'utf8');
    expect(log.split('engine worker died; starting it again').length - 1).to.equal(4);
    expect(await running.stop()).to.equal(0);
    await check();
    console.log(`      trade types, workers killed twice: ${ORDERS} orders in ${Date.now() - started} ms`);
  });

  it('leaves no worker behind when serve itself is killed, and finishes every trade once after a restart', async () => {
    const started = Date.now();
    running = await startEngineProcess({ name: 'serve', subcommand: 'serve', env: env(), logDir: dir });
    await given(running.url);
    const workers = workersOf(running);
    await placeAll(running.url, orders);
    await running.kill();
    for (let i = 0; i < 50 && workers.some(isAlive); i++) await sleep(100);
    expect(workers.filter(isAlive), 'the workers exit once serve is gone').to.deep.equal([]);

    running = await startEngineProcess({ name: 'serve-again', subcommand: 'serve', env: env(), logDir: dir });
    const docs = await until(running.url, 'held or cancelled', heldOrCancelled, 40_000);
    // serve killed again while the deliveries and balances are still with the sagas
    expect(await completeTrades(running.url, docs)).to.be.greaterThan(0);
    await running.kill();
    running = await startEngineProcess({ name: 'serve-third', subcommand: 'serve', env: env(), logDir: dir });
    await until(running.url, 'finished', finished, 40_000);
    expect(await running.stop()).to.equal(0);
    await check();
    console.log(`      trade types, serve killed twice: ${ORDERS} orders in ${Date.now() - started} ms`);
  });
});
