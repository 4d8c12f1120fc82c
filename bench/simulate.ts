import { parseArgs } from 'node:util';
import { seededRandom } from '../infra/payments/seeded-random';
import { HttpJsonClient, percentile } from './http-client';

/**
 * Traffic that behaves like shoppers, against a running engine over HTTP (open loop: orders are sent at the rate
 * asked for, whether or not earlier ones have answered). A catalogue, restocks, orders of 1–5 lines, a share of
 * declined cards, cancellations and partial refunds, and a hot SKU in a flash sale with a purchase limit. With
 * promotions on (the default) it also defines promotions of every kind, and a share of the orders carries a coupon
 * whose redemptions run out during the run. With channels on (the default) it defines three channels — `default`, a
 * brand mall taking cash on delivery, a pre-sale channel — and mixes their trade types: cash-on-delivery orders are
 * delivered (or refused at the door) once confirmed, pre-sale orders pay their balance once the deposit is in.
 *
 *   npm run simulate -- --rate 200 --duration 30 [--url http://127.0.0.1:3000 --api-key KEY --no-promotions
 *                                                 --no-channels]
 *
 * The API key needs orders:write, refunds:write, inventory:write, (with promotions) marketing:write and (with
 * channels) admin. Defining channels changes the engine for every client: from then on an order names a defined
 * channel (the simulator defines `default` too, so clients that name none keep working).
 */

export interface SimulationOptions {
  readonly url: string;
  readonly apiKey: string | undefined;
  readonly rate: number;
  readonly durationS: number;
  readonly customers: number;
  readonly skus: number;
  readonly hotSkuShare: number;
  readonly declineRate: number;
  readonly refundRate: number;
  readonly cancelRate: number;
  readonly seed: number;
  readonly maxInFlight: number;
  /** prints a progress line per second when true */
  readonly progress: boolean;
  /** stock per SKU at the start (the hot SKU gets a tenth of it, so it sells out) */
  readonly initialStock: number;
  /** define promotions, a coupon and a purchase limit on the hot SKU, and send coupons with `couponRate` of orders */
  readonly promotions: boolean;
  readonly couponRate: number;
  /** define channels and mix their trade types (cash on delivery, pre-sale) into the orders */
  readonly channels: boolean;
}

export interface SimulationSummary {
  readonly ordersSent: number;
  readonly ordersAccepted: number;
  readonly ordersRejected: number;
  readonly errors: number;
  /** refused by flow control (429 or 503 with Retry-After): the engine protecting itself, not failing */
  readonly shed: number;
  readonly dropped: number;
  readonly cancellations: number;
  readonly refunds: number;
  readonly restocks: number;
  /** orders sent with the coupon, and how many of those the engine accepted */
  readonly couponOrders: number;
  readonly couponOrdersAccepted: number;
  /** accepted orders by trade type, and what became of the cash-on-delivery and pre-sale ones */
  readonly byTradeType: Readonly<Record<string, number>>;
  readonly delivered: number;
  readonly deliveriesRefused: number;
  readonly balancesPaid: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly achievedRate: number;
  readonly lastPosition: number;
  readonly orderIds: readonly string[];
}

const parse = (argv: readonly string[]): SimulationOptions => {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      url: { type: 'string', default: process.env.ENGINE_URL ?? 'http://127.0.0.1:3000' },
      'api-key': { type: 'string' },
      rate: { type: 'string', default: '50' },
      duration: { type: 'string', default: '30' },
      customers: { type: 'string', default: '500' },
      skus: { type: 'string', default: '50' },
      'hot-sku-share': { type: 'string', default: '0.1' },
      'decline-rate': { type: 'string', default: '0.05' },
      'refund-rate': { type: 'string', default: '0.05' },
      'cancel-rate': { type: 'string', default: '0.03' },
      'initial-stock': { type: 'string', default: '100000' },
      seed: { type: 'string', default: '42' },
      'max-in-flight': { type: 'string', default: '2000' },
      'no-promotions': { type: 'boolean', default: false },
      'no-channels': { type: 'boolean', default: false },
      'coupon-rate': { type: 'string', default: '0.1' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'npm run simulate -- --rate <orders/s> --duration <s> [--url URL --api-key KEY --customers N --skus N ' +
        '--hot-sku-share p --decline-rate p --refund-rate p --cancel-rate p --initial-stock N --seed N ' +
        '--no-promotions --coupon-rate p --no-channels]\n',
    );
    process.exit(0);
  }
  const num = (name: string, raw: string | undefined, min: number, max: number): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new RangeError(`--${name}: expected a number in ${min}..${max}, got ${String(raw)}`);
    return n;
  };
  return {
    url: values.url,
    apiKey: values['api-key'] ?? process.env.API_KEY,
    rate: num('rate', values.rate, 0.1, 100_000),
    durationS: num('duration', values.duration, 1, 86_400),
    customers: num('customers', values.customers, 1, 10_000_000),
    skus: num('skus', values.skus, 1, 100_000),
    hotSkuShare: num('hot-sku-share', values['hot-sku-share'], 0, 1),
    declineRate: num('decline-rate', values['decline-rate'], 0, 1),
    refundRate: num('refund-rate', values['refund-rate'], 0, 1),
    cancelRate: num('cancel-rate', values['cancel-rate'], 0, 1),
    initialStock: num('initial-stock', values['initial-stock'], 1, 1_000_000_000),
    seed: num('seed', values.seed, 0, 2 ** 31),
    maxInFlight: num('max-in-flight', values['max-in-flight'], 1, 100_000),
    progress: true,
    promotions: !values['no-promotions'],
    couponRate: num('coupon-rate', values['coupon-rate'], 0, 1),
    channels: !values['no-channels'],
  };
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const simulate = async (o: SimulationOptions): Promise<SimulationSummary> => {
  const random = seededRandom(o.seed);
  const pick = <T>(list: readonly T[]): T => {
    const item = list[Math.floor(random() * list.length)];
    if (item === undefined) throw new RangeError('empty list');
    return item;
  };
  const client = new HttpJsonClient(o.url, o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {}, 128);
  const run = `sim${Date.now().toString(36)}`;
  const skus = Array.from({ length: o.skus }, (_, i) => `${run}-SKU-${i}`);
  const hotSku = skus[0] ?? `${run}-SKU-0`;
  const log = (line: string): void => {
    if (o.progress) process.stderr.write(`${line}\n`);
  };

  log(`[simulate] catalogue: ${skus.length} SKUs (hot: ${hotSku}) at ${o.url}`);
  for (const [i, sku] of skus.entries()) {
    const put = await client.send('PUT', `/v1/skus/${sku}`, {
      name: `Product ${i}`,
      unitPrice: { amount: 199 + ((i * 137) % 9800), currency: 'EUR' },
    });
    if (put.status >= 300) throw new Error(`catalogue setup failed: ${put.status} ${JSON.stringify(put.body)}`);
    const quantity = sku === hotSku ? Math.max(1, Math.floor(o.initialStock / 10)) : o.initialStock;
    await client.send('POST', `/v1/skus/${sku}/restock`, { quantity });
  }

  const couponCode = o.promotions ? await definePromotions(client, run, skus, o) : undefined;
  if (couponCode !== undefined)
    log(`[simulate] promotions defined; coupon ${couponCode}; hot SKU limited per customer`);

  if (o.channels) {
    await defineChannels(client, o);
    log(
      '[simulate] channels defined: default, sim-mall (standard, cash on delivery), sim-presale (standard, pre-sale)',
    );
  }

  const latencies: number[] = [];
  const accepted: string[] = [];
  let sent = 0;
  let ok = 0;
  let rejected = 0;
  let errors = 0;
  let shed = 0;
  let dropped = 0;
  let inFlight = 0;
  let cancellations = 0;
  let refunds = 0;
  let restocks = 0;
  let couponOrders = 0;
  let couponOrdersAccepted = 0;
  let delivered = 0;
  let deliveriesRefused = 0;
  let balancesPaid = 0;
  const byTradeType: Record<string, number> = {};
  let lastPosition = 0;
  const pending = new Set<Promise<void>>();
  const track = (p: Promise<void>): void => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  const note = (position: unknown): void => {
    if (typeof position === 'number' && position > lastPosition) lastPosition = position;
  };

  const placeOne = async (n: number): Promise<void> => {
    const lineCount = 1 + Math.floor(random() * 5);
    const chosen = new Set<string>();
    if (random() < o.hotSkuShare) chosen.add(hotSku);
    while (chosen.size < Math.min(lineCount, skus.length))
      chosen.add(pick(skus.slice(1).length > 0 ? skus.slice(1) : skus));
    const token = random() < o.declineRate ? 'tok_decline' : 'tok_approve';
    const orderId = `${run}-o-${n}`;
    const cancel = random() < o.cancelRate;
    const refund = !cancel && random() < o.refundRate;
    const withCoupon = couponCode !== undefined && random() < o.couponRate;
    if (withCoupon) couponOrders++;
    const trade = o.channels ? tradeOf(random()) : undefined;
    inFlight++;
    try {
      const r = await client.send(
        'POST',
        '/v1/orders',
        {
          orderId,
          customerId: `cust-${Math.floor(random() * o.customers)}`,
          lines: [...chosen].map((sku) => ({ sku, quantity: 1 + Math.floor(random() * 3) })),
          ...(withCoupon ? { couponCode } : {}),
          ...(trade === undefined ? {} : { channel: trade.channel, tradeType: trade.tradeType }),
          payment: { token },
        },
        { 'idempotency-key': `${orderId}:place` },
      );
      if (r.status === 202 && trade !== undefined) {
        byTradeType[trade.tradeType] = (byTradeType[trade.tradeType] ?? 0) + 1;
        const outcome = await followTrade(client, orderId, trade.tradeType, random());
        if (outcome === 'delivered') delivered++;
        if (outcome === 'refused') deliveriesRefused++;
        if (outcome === 'balance') balancesPaid++;
      }
      latencies.push(r.ms);
      if (r.status === 202) {
        ok++;
        if (withCoupon) couponOrdersAccepted++;
        accepted.push(orderId);
        note(r.body.position);
      } else if (r.status === 429 || r.status === 503) shed++;
      else if (r.status >= 500) errors++;
      else rejected++;
      if (r.status === 202 && cancel) {
        const c = await client.send(
          'POST',
          `/v1/orders/${orderId}/cancel`,
          { reason: 'customer changed their mind' },
          { 'idempotency-key': `${orderId}:cancel` },
        );
        if (c.status === 202) cancellations++;
        note(c.body.position);
      }
      if (r.status === 202 && refund) {
        // refunds need a confirmed order: give the saga a moment, then ask for part of the money back
        await sleep(2_000);
        const f = await client.send(
          'POST',
          `/v1/orders/${orderId}/refunds`,
          { amount: { amount: 100, currency: 'EUR' }, reason: 'partial refund: damaged box' },
          { 'idempotency-key': `${orderId}:refund` },
        );
        if (f.status === 202) refunds++;
        note(f.body.position);
      }
    } catch {
      errors++;
    } finally {
      inFlight--;
    }
  };

  const started = performance.now();
  const end = started + o.durationS * 1000;
  let lastReport = started;
  let reportedSent = 0;
  let n = 0;
  log(`[simulate] sending ${o.rate} orders/s for ${o.durationS}s (open loop, at most ${o.maxInFlight} in flight)`);
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - started) / 1000) * o.rate);
    while (n < due) {
      n++;
      if (inFlight >= o.maxInFlight) {
        dropped++;
        continue;
      }
      sent++;
      track(placeOne(n));
    }
    const now = performance.now();
    if (now - lastReport >= 1000) {
      // a flash-sale restock of the hot SKU now and then
      if (Math.floor((now - started) / 10_000) > restocks) {
        restocks++;
        track(
          client
            .send('POST', `/v1/skus/${hotSku}/restock`, { quantity: Math.max(1, Math.floor(o.initialStock / 20)) })
            .then(
              () => undefined,
              () => undefined,
            ),
        );
      }
      const recent = latencies.slice(-2000);
      log(
        `[simulate] t=${((now - started) / 1000).toFixed(0)}s sent=${sent} (+${sent - reportedSent}/s) accepted=${ok} rejected=${rejected} shed=${shed} errors=${errors} dropped=${dropped} in-flight=${inFlight} p50=${percentile(recent, 50).toFixed(1)}ms p99=${percentile(recent, 99).toFixed(1)}ms`,
      );
      reportedSent = sent;
      lastReport = now;
    }
    await sleep(Math.max(1, Math.min(20, 1000 / o.rate)));
  }
  await Promise.all([...pending]);
  const elapsed = (performance.now() - started) / 1000;
  client.close();
  const summary: SimulationSummary = {
    ordersSent: sent,
    ordersAccepted: ok,
    ordersRejected: rejected,
    errors,
    shed,
    dropped,
    cancellations,
    refunds,
    restocks,
    couponOrders,
    couponOrdersAccepted,
    byTradeType,
    delivered,
    deliveriesRefused,
    balancesPaid,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: percentile(latencies, 100) },
    achievedRate: sent / elapsed,
    lastPosition,
    orderIds: accepted,
  };
  return summary;
};

interface Trade {
  readonly channel: string;
  readonly tradeType: 'standard' | 'cod' | 'presale';
}

/** Half the orders through the mall (a fifth of those cash on delivery), a quarter pre-sale, the rest default. */
const tradeOf = (r: number): Trade => {
  if (r < 0.4) return { channel: 'sim-mall', tradeType: 'standard' };
  if (r < 0.5) return { channel: 'sim-mall', tradeType: 'cod' };
  if (r < 0.75) return { channel: 'sim-presale', tradeType: 'presale' };
  return { channel: 'default', tradeType: 'standard' };
};

/** The channels the trades go through; the pre-sale's balance window covers the run and two minutes after it. */
const defineChannels = async (client: HttpJsonClient, o: SimulationOptions): Promise<void> => {
  const common = {
    currencies: ['EUR'],
    paymentTimeoutMs: 900_000,
    reservationTtlMs: 1_800_000,
    promotions: 'all',
    partialRefunds: true,
    refundWindowDays: 30,
  };
  const profiles: Record<string, Record<string, unknown>> = {
    default: { name: 'Default', tradeTypes: ['standard'], ...common },
    'sim-mall': {
      name: 'Brand mall',
      tradeTypes: ['standard', 'cod'],
      ...common,
      cod: { maxAmount: 500_000, currency: 'EUR' },
    },
    'sim-presale': {
      name: 'Pre-sale',
      tradeTypes: ['standard', 'presale'],
      ...common,
      presale: {
        depositBasisPoints: 2000,
        balanceFrom: new Date(Date.now() - 60_000).toISOString(),
        balanceUntil: new Date(Date.now() + (o.durationS + 120) * 1000).toISOString(),
        lateBalance: 'refundDeposit',
      },
    },
  };
  for (const [id, profile] of Object.entries(profiles)) {
    const r = await client.send('PUT', `/v1/admin/channels/${id}`, profile);
    if (r.status >= 300) throw new Error(`channel setup failed: ${id} ${r.status} ${JSON.stringify(r.body)}`);
  }
};

/**
 * What a shopper does after a cash-on-delivery or pre-sale order: once the saga confirmed it (COD) or took the
 * deposit (pre-sale), deliver it with the total collected (one in ten refused at the door), or pay the balance.
 */
const followTrade = async (
  client: HttpJsonClient,
  orderId: string,
  tradeType: Trade['tradeType'],
  r: number,
): Promise<'delivered' | 'refused' | 'balance' | undefined> => {
  if (tradeType === 'standard') return undefined;
  const waitingFor = tradeType === 'cod' ? 'Confirmed' : 'AwaitingBalance';
  let order: Record<string, unknown> = {};
  for (let tries = 0; tries < 20 && order.status !== waitingFor; tries++) {
    await sleep(500);
    order = (await client.send('GET', `/v1/orders/${orderId}`)).body;
    if (order.status === 'Cancelled') return undefined;
  }
  if (order.status !== waitingFor) return undefined;
  if (tradeType === 'presale') {
    const paid = await client.send(
      'POST',
      `/v1/orders/${orderId}/balance`,
      { payment: { token: 'tok_approve' } },
      { 'idempotency-key': `${orderId}:balance` },
    );
    return paid.status === 202 ? 'balance' : undefined;
  }
  const refused = r < 0.1;
  const done = refused
    ? await client.send(
        'POST',
        `/v1/orders/${orderId}/delivery-refused`,
        { reason: 'not at home' },
        { 'idempotency-key': `${orderId}:refused` },
      )
    : await client.send(
        'POST',
        `/v1/orders/${orderId}/deliver`,
        { collected: order.total },
        { 'idempotency-key': `${orderId}:deliver` },
      );
  return done.status === 202 ? (refused ? 'refused' : 'delivered') : undefined;
};

/**
 * One promotion of each kind on the catalogue, a coupon-only promotion with a coupon that runs out about halfway
 * through the run, and a purchase limit on the hot SKU. Answers the coupon's code.
 */
const definePromotions = async (
  client: HttpJsonClient,
  run: string,
  skus: readonly string[],
  o: SimulationOptions,
): Promise<string> => {
  const validFrom = new Date(Date.now() - 60_000).toISOString();
  const eur = (amount: number) => ({ amount, currency: 'EUR' });
  const [hot, second, third, fourth] = [skus[0], skus[1] ?? skus[0], skus[2] ?? skus[0], skus[3] ?? skus[0]];
  // a rule lists at most 100 SKUs
  const some = skus.filter((_, i) => i % 5 === 1).slice(0, 100);
  type Rule = readonly [id: string, priority: number, rule: Record<string, unknown>, extra?: Record<string, unknown>];
  const bundle: Rule[] =
    third !== fourth ? [['bundle', 30, { kind: 'BundlePrice', skus: [third, fourth], price: eur(999) }]] : [];
  const rules: Rule[] = [
    ['tenth-off-some', 10, { kind: 'PercentOff', basisPoints: 1000, ...(some.length > 0 ? { skus: some } : {}) }],
    ['three-for-two', 20, { kind: 'BuyNGetMFree', sku: second, buy: 2, free: 1 }],
    ...bundle,
    ['five-off-fifty', 40, { kind: 'AmountOffOrder', amount: eur(500), threshold: eur(5000) }],
    ['coupon-15', 50, { kind: 'PercentOff', basisPoints: 1500 }, { requiresCoupon: true }],
  ];
  const ensure = async (method: 'PUT', path: string, body: unknown): Promise<void> => {
    const r = await client.send(method, path, body);
    if (r.status >= 300) throw new Error(`promotion setup failed: ${path} ${r.status} ${JSON.stringify(r.body)}`);
  };
  for (const [id, priority, rule, extra] of rules) {
    await ensure('PUT', `/v1/promotions/${run}-${id}`, {
      name: id,
      currency: 'EUR',
      validFrom,
      priority,
      rule,
      ...extra,
    });
  }
  const code = `${run}-SAVE15`;
  const expectedCouponOrders = o.rate * o.durationS * o.couponRate;
  await ensure('PUT', `/v1/coupons/${code}`, {
    promotionId: `${run}-coupon-15`,
    totalLimit: Math.max(1, Math.floor(expectedCouponOrders / 2)),
    perCustomerLimit: 3,
  });
  if (hot !== undefined) await ensure('PUT', `/v1/skus/${hot}/purchase-limit`, { perCustomer: 4 });
  return code;
};

if (require.main === module) {
  simulate(parse(process.argv.slice(2))).then(
    (s) => {
      const { orderIds: _ids, ...printable } = s;
      process.stdout.write(`${JSON.stringify(printable, null, 2)}\n`);
      if (s.errors > 0) process.exitCode = 1;
    },
    (error: unknown) => {
      process.stderr.write(`simulate: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
