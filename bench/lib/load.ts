import { HttpJsonClient, percentile } from '../http-client';
import { progress, sleep } from './report';

/**
 * Open-loop order traffic against a running engine: orders go out at the asked rate whether or not earlier ones
 * have answered (a closed loop would slow down with the engine and hide its queueing). Completion is read back
 * through the read API: the sales read model's confirmed + cancelled counters give throughput and backlog, and a
 * sample of orders is polled one by one for completion latency.
 */
export interface Target {
  /** where commands go */
  readonly commandUrl: string;
  /** where reads go (the same process when embedded) */
  readonly readUrl: string;
}

export interface Catalogue {
  readonly run: string;
  readonly skus: readonly string[];
  /** when set, every fifth order carries this coupon (see `setupPromotions`) */
  readonly couponCode?: string;
}

export const setupCatalogue = async (
  target: Target,
  run: string,
  skus = 100,
  stock = 1_000_000,
): Promise<Catalogue> => {
  const client = new HttpJsonClient(target.commandUrl, {}, 16);
  try {
    const names = Array.from({ length: skus }, (_, i) => `${run}-SKU-${i}`);
    await Promise.all(
      names.map(async (sku, i) => {
        const put = await client.send('PUT', `/v1/skus/${sku}`, {
          name: `Product ${i}`,
          unitPrice: { amount: 199 + ((i * 137) % 9800), currency: 'EUR' },
        });
        if (put.status >= 300) throw new Error(`catalogue: PUT ${sku} → ${put.status} ${JSON.stringify(put.body)}`);
        const restock = await client.send('POST', `/v1/skus/${sku}/restock`, { quantity: stock });
        if (restock.status >= 300)
          throw new Error(`catalogue: restock ${sku} → ${restock.status} ${JSON.stringify(restock.body)}`);
      }),
    );
    return { run, skus: names };
  } finally {
    client.close();
  }
};

/**
 * A promotion book that prices every order of the catalogue (a percentage off a fifth of the SKUs, three for two on
 * one, a bundle, an amount off from a threshold) and a coupon-only promotion with a coupon that does not run out;
 * answers the catalogue with the coupon, so every fifth order carries it.
 */
export const setupPromotions = async (target: Target, catalogue: Catalogue): Promise<Catalogue> => {
  const client = new HttpJsonClient(target.commandUrl, {}, 4);
  const eur = (amount: number) => ({ amount, currency: 'EUR' });
  const { run, skus } = catalogue;
  const validFrom = new Date(Date.now() - 60_000).toISOString();
  const promotions: [string, Record<string, unknown>, Record<string, unknown>?][] = [
    ['tenth-off', { kind: 'PercentOff', basisPoints: 1000, skus: skus.filter((_, i) => i % 5 === 1).slice(0, 100) }],
    ['three-for-two', { kind: 'BuyNGetMFree', sku: skus[2], buy: 2, free: 1 }],
    ['bundle', { kind: 'BundlePrice', skus: [skus[3], skus[4]], price: eur(999) }],
    ['five-off-fifty', { kind: 'AmountOffOrder', amount: eur(500), threshold: eur(5000) }],
    ['coupon-15', { kind: 'PercentOff', basisPoints: 1500 }, { requiresCoupon: true }],
  ];
  const send = async (method: 'PUT', path: string, body: unknown): Promise<void> => {
    const r = await client.send(method, path, body);
    if (r.status >= 300) throw new Error(`promotions: ${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
  };
  try {
    for (const [i, [id, rule, extra]] of promotions.entries()) {
      await send('PUT', `/v1/promotions/${run}-${id}`, {
        name: id,
        currency: 'EUR',
        validFrom,
        priority: (i + 1) * 10,
        rule,
        ...extra,
      });
    }
    const couponCode = `${run}-BENCH15`;
    await send('PUT', `/v1/coupons/${couponCode}`, {
      promotionId: `${run}-coupon-15`,
      totalLimit: 10_000_000,
      perCustomerLimit: 1000,
    });
    return { ...catalogue, couponCode };
  } finally {
    client.close();
  }
};

/** Orders the read side counts as finished (sales read model), summed over every day bucket. */
export const completedOrders = async (client: HttpJsonClient): Promise<number> => {
  const r = await client.send(
    'GET',
    '/v1/stats/sales?granularity=day&from=2000-01-01T00:00:00.000Z&to=2100-01-01T00:00:00.000Z',
  );
  if (r.status !== 200) throw new Error(`GET /v1/stats/sales → ${r.status} ${JSON.stringify(r.body)}`);
  const buckets = Array.isArray(r.body.buckets) ? (r.body.buckets as unknown[]) : [];
  let total = 0;
  for (const bucket of buckets) {
    if (typeof bucket !== 'object' || bucket === null) continue;
    const b = bucket as Record<string, unknown>;
    total +=
      (typeof b.ordersConfirmed === 'number' ? b.ordersConfirmed : 0) +
      (typeof b.ordersCancelled === 'number' ? b.ordersCancelled : 0);
  }
  return total;
};

export interface StepResult {
  readonly rate: number;
  readonly durationS: number;
  readonly sent: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly errors: number;
  /** orders not sent because too many were in flight (the engine stopped answering in time) */
  readonly dropped: number;
  readonly achievedSendRate: number;
  readonly commandMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** orders finished per second over the step's second half */
  readonly completionRate: number;
  readonly completionMs: { readonly p50: number; readonly p99: number; readonly samples: number };
  /** accepted − finished, sampled once a second */
  readonly backlog: readonly number[];
  /** least-squares slope of the backlog over the step's second half, orders/s */
  readonly backlogSlope: number;
  /** how long the backlog took to drain after sending stopped (capped) */
  readonly drainS: number;
  readonly drained: boolean;
  /** the engine kept up: sent on time, nothing refused or failed, backlog flat, drained */
  readonly held: boolean;
  /** answers by HTTP status */
  readonly byStatus: Readonly<Record<string, number>>;
  /** command latency of the accepted orders only */
  readonly acceptedMs: { readonly p50: number; readonly p99: number };
  /** 429 and 503 answers without `Retry-After` */
  readonly refusalsWithoutRetryAfter: number;
  /** ids of the accepted orders (for checks that each finished once) */
  readonly acceptedIds: readonly string[];
}

/** Least-squares slope of ys over xs (per second when xs are seconds). */
const slope = (xs: readonly number[], ys: readonly number[]): number => {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return 0;
  const meanX = xs.slice(0, n).reduce((a, b) => a + b, 0) / n;
  const meanY = ys.slice(0, n).reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] ?? 0) - meanX;
    num += dx * ((ys[i] ?? 0) - meanY);
    den += dx * dx;
  }
  return den === 0 ? 0 : num / den;
};

export interface StepOptions {
  readonly rate: number;
  readonly durationS: number;
  /** longest wait for the backlog to drain after the step */
  readonly drainTimeoutS?: number;
  readonly maxInFlight?: number;
  /** completion-latency samples per second (each is polled until finished) */
  readonly samplesPerSecond?: number;
  readonly label?: string;
  /** order ids start with this (default: derived from the catalogue and rate) */
  readonly idPrefix?: string;
}

export const runStep = async (target: Target, catalogue: Catalogue, o: StepOptions): Promise<StepResult> => {
  const label = o.label ?? `${o.rate}/s`;
  const commands = new HttpJsonClient(target.commandUrl, {}, 256);
  const reads = new HttpJsonClient(target.readUrl, {}, 32);
  const maxInFlight = o.maxInFlight ?? 2_000;
  const sampleEvery = Math.max(1, Math.round(o.rate / (o.samplesPerSecond ?? 10)));
  const step = o.idPrefix ?? `${catalogue.run}-${o.rate}-${Date.now().toString(36)}`;
  const byStatus: Record<string, number> = {};
  const acceptedLatencies: number[] = [];
  const acceptedIds: string[] = [];
  let refusalsWithoutRetryAfter = 0;
  let seed = 12345;
  // a tiny LCG: deterministic order shapes without pulling randomness into the timing loop
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };

  const latencies: number[] = [];
  const completions: number[] = [];
  const samples = new Map<string, { readonly sentAt: number; nextPoll: number }>();
  let sent = 0;
  let accepted = 0;
  let rejected = 0;
  let errors = 0;
  let dropped = 0;
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  const track = (p: Promise<void>): void => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  const place = async (n: number): Promise<void> => {
    const lineCount = 1 + Math.floor(random() * 3);
    const chosen = new Set<string>();
    while (chosen.size < Math.min(lineCount, catalogue.skus.length))
      chosen.add(catalogue.skus[Math.floor(random() * catalogue.skus.length)] ?? '');
    const orderId = `${step}-${n}`;
    inFlight++;
    const sentAt = performance.now();
    try {
      const r = await commands.send('POST', '/v1/orders', {
        orderId,
        customerId: `cust-${n % 997}`,
        lines: [...chosen].map((sku) => ({ sku, quantity: 1 + Math.floor(random() * 2) })),
        ...(catalogue.couponCode !== undefined && n % 5 === 0 ? { couponCode: catalogue.couponCode } : {}),
        payment: { token: 'tok_approve' },
      });
      latencies.push(r.ms);
      byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
      if ((r.status === 429 || r.status === 503) && r.retryAfter === undefined) refusalsWithoutRetryAfter++;
      if (r.status === 202) {
        accepted++;
        acceptedLatencies.push(r.ms);
        acceptedIds.push(orderId);
        if (n % sampleEvery === 0 && samples.size < 30) samples.set(orderId, { sentAt, nextPoll: 0 });
      } else if (r.status >= 500) errors++;
      else rejected++;
    } catch {
      errors++;
    } finally {
      inFlight--;
    }
  };

  // polls each sampled order with a back-off of a fifth of its age: bounded extra load, ~20 % resolution
  // an object, not lets: the checker cannot see the writes made after this closure starts
  const poll = { active: true, deadline: Number.POSITIVE_INFINITY };
  const poller = (async () => {
    while (poll.active || samples.size > 0) {
      const now = performance.now();
      const due = [...samples].filter(([, s]) => s.nextPoll <= now);
      await Promise.all(
        due.map(async ([id, s]) => {
          const r = await reads.send('GET', `/v1/orders/${id}`).catch(() => undefined);
          const at = performance.now();
          const status = r?.body.status;
          if (status === 'Confirmed' || status === 'Cancelled') {
            completions.push(at - s.sentAt);
            samples.delete(id);
          } else s.nextPoll = at + Math.min(1000, Math.max(20, (at - s.sentAt) / 5));
        }),
      );
      if (!poll.active && performance.now() > poll.deadline) break;
      await sleep(10);
    }
  })();

  const base = await completedOrders(reads);
  const backlog: number[] = [];
  const finishedSeries: number[] = [];
  const sampledAt: number[] = [];
  const started = performance.now();
  const end = started + o.durationS * 1000;
  let nextSample = started + 1000;
  let n = 0;
  let sampling = false;
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - started) / 1000) * o.rate);
    while (n < due) {
      n++;
      if (inFlight >= maxInFlight) {
        dropped++;
        continue;
      }
      sent++;
      track(place(n));
    }
    if (performance.now() >= nextSample && !sampling) {
      nextSample += 1000;
      sampling = true;
      // the counter read runs beside the sender so a slow read never delays orders
      void completedOrders(reads).then(
        (done) => {
          finishedSeries.push(done - base);
          backlog.push(accepted - (done - base));
          sampledAt.push((performance.now() - started) / 1000);
          const t = Math.round((performance.now() - started) / 1000);
          if (backlog.length % 5 === 0)
            progress(
              `${label} t=${t}s sent=${sent} accepted=${accepted} finished=${done - base} backlog=${accepted - (done - base)} ` +
                `errors=${errors} dropped=${dropped} in-flight=${inFlight} p99=${percentile(latencies.slice(-2000), 99).toFixed(1)}ms`,
            );
          sampling = false;
        },
        () => {
          sampling = false;
        },
      );
    }
    await sleep(2);
  }
  const sendSeconds = (performance.now() - started) / 1000;
  await Promise.all([...pending]);

  // drain: the backlog left when sending stopped must go away, or the rate was not really held
  const drainTimeoutS = o.drainTimeoutS ?? 30;
  const drainStarted = performance.now();
  poll.deadline = drainStarted + drainTimeoutS * 1000;
  let drained = false;
  while (performance.now() < poll.deadline) {
    const done = (await completedOrders(reads)) - base;
    if (done >= accepted) {
      drained = true;
      break;
    }
    await sleep(250);
  }
  const drainS = (performance.now() - drainStarted) / 1000;
  poll.active = false;
  await poller;
  commands.close();
  reads.close();

  // the second half: the queue has had time to build if it is going to
  const half = sampledAt.findIndex((t) => t >= o.durationS / 2);
  const from = half < 0 ? sampledAt.length : half;
  const spanS = (sampledAt.at(-1) ?? 0) - (sampledAt[from] ?? 0);
  const completionRate =
    sampledAt.length - from >= 2 && spanS > 0
      ? ((finishedSeries.at(-1) ?? 0) - (finishedSeries[from] ?? 0)) / spanS
      : Number.NaN;
  const backlogSlope = slope(sampledAt.slice(from), backlog.slice(from));
  const achievedSendRate = sent / sendSeconds;
  const held =
    errors === 0 &&
    rejected === 0 &&
    dropped === 0 &&
    achievedSendRate >= 0.95 * o.rate &&
    backlogSlope <= Math.max(5, 0.02 * o.rate) &&
    drained &&
    drainS <= 10;
  return {
    rate: o.rate,
    durationS: o.durationS,
    sent,
    accepted,
    rejected,
    errors,
    dropped,
    achievedSendRate,
    commandMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: percentile(latencies, 100) },
    completionRate,
    completionMs: {
      p50: percentile(completions, 50),
      p99: percentile(completions, 99),
      samples: completions.length,
    },
    backlog,
    backlogSlope,
    byStatus,
    acceptedMs: { p50: percentile(acceptedLatencies, 50), p99: percentile(acceptedLatencies, 99) },
    refusalsWithoutRetryAfter,
    acceptedIds,
    drainS,
    drained,
    held,
  };
};

/** `orders` placements, `inFlight` at a time (closed loop): how many were accepted, and the others by status. */
const placeAll = async (
  commands: HttpJsonClient,
  orders: number,
  inFlight: number,
  what: string,
  body: (i: number) => Record<string, unknown>,
): Promise<{ readonly accepted: number; readonly refused: Readonly<Record<string, number>> }> => {
  const started = performance.now();
  let next = 0;
  let accepted = 0;
  const refused: Record<string, number> = {};
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < orders) {
        const r = await commands.send('POST', '/v1/orders', body(next++));
        if (r.status === 202) accepted++;
        else refused[r.status] = (refused[r.status] ?? 0) + 1;
      }
    }),
  );
  progress(
    `${what}: ${accepted}/${orders} accepted (refused ${JSON.stringify(refused)}) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return { accepted, refused };
};

export interface HotSkuResult {
  readonly orders: number;
  readonly stock: number;
  readonly accepted: number;
  /** placements refused at the edge, by status: 422 sold out (the fast path), 429 a flow limit, 503 shed */
  readonly refused: Readonly<Record<string, number>>;
  readonly settleS: number;
  readonly settled: boolean;
  readonly confirmed: number;
  readonly cancelled: number;
  readonly oversold: number;
  readonly skuAvailable: number;
  readonly skuOnHand: number;
}

export const listByCustomer = async (
  client: HttpJsonClient,
  customerId: string,
): Promise<Record<string, unknown>[]> => {
  const all: Record<string, unknown>[] = [];
  let cursor: string | undefined;
  do {
    const q = `/v1/orders?customerId=${customerId}&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const r = await client.send('GET', q);
    if (r.status !== 200) throw new Error(`GET ${q} → ${r.status} ${JSON.stringify(r.body)}`);
    const items = Array.isArray(r.body.items) ? (r.body.items as unknown[]) : [];
    for (const item of items) if (typeof item === 'object' && item !== null) all.push(item as Record<string, unknown>);
    cursor = typeof r.body.next === 'string' ? r.body.next : undefined;
  } while (cursor !== undefined);
  return all;
};

/**
 * A flash sale: `orders` single-unit orders for one SKU with `stock` units, `inFlight` at a time. Every figure is
 * read back through the read API: confirmed must equal the stock and nothing may be oversold.
 */
export const runHotSku = async (
  target: Target,
  run: string,
  orders = 2_000,
  stock = 100,
  inFlight = 200,
  settleTimeoutS = 120,
): Promise<HotSkuResult> => {
  const commands = new HttpJsonClient(target.commandUrl, {}, inFlight);
  const reads = new HttpJsonClient(target.readUrl, {}, 8);
  const sku = `${run}-HOT`;
  const customerId = `hot-${run}`;
  try {
    const put = await commands.send('PUT', `/v1/skus/${sku}`, {
      name: 'Flash sale',
      unitPrice: { amount: 999, currency: 'EUR' },
    });
    if (put.status >= 300) throw new Error(`hot SKU: PUT → ${put.status}`);
    await commands.send('POST', `/v1/skus/${sku}/restock`, { quantity: stock });
    const started = performance.now();
    const { accepted, refused } = await placeAll(commands, orders, inFlight, 'hot SKU', (i) => ({
      orderId: `${run}-hot-${i}`,
      customerId,
      lines: [{ sku, quantity: 1 }],
      payment: { token: 'tok_approve' },
    }));
    const deadline = started + settleTimeoutS * 1000;
    let docs: Record<string, unknown>[] = [];
    let settled = false;
    while (performance.now() < deadline) {
      docs = await listByCustomer(reads, customerId);
      const finished = docs.filter((d) => d.status === 'Confirmed' || d.status === 'Cancelled').length;
      if (finished >= accepted) {
        settled = true;
        break;
      }
      await sleep(200);
    }
    const settleS = (performance.now() - started) / 1000;
    const confirmed = docs.filter((d) => d.status === 'Confirmed').length;
    const skuDoc = await reads.send('GET', `/v1/skus/${sku}`);
    const num = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN);
    return {
      orders,
      stock,
      accepted,
      refused,
      settleS,
      settled,
      confirmed,
      cancelled: docs.filter((d) => d.status === 'Cancelled').length,
      // each order is one unit
      oversold: Math.max(0, confirmed - stock),
      skuAvailable: num(skuDoc.body.available),
      skuOnHand: num(skuDoc.body.onHand),
    };
  } finally {
    commands.close();
    reads.close();
  }
};

export interface HotCouponResult {
  readonly orders: number;
  readonly limit: number;
  readonly accepted: number;
  readonly refused: Readonly<Record<string, number>>;
  readonly settled: boolean;
  readonly settleS: number;
  /** from the coupon's read model once settled */
  readonly redeemed: number;
  readonly reserved: number;
}

/**
 * A coupon on a flash-sale day: `orders` orders of distinct customers, `inFlight` at a time, all with one coupon
 * limited to `limit` uses (plenty of stock). Redemptions are read back from the coupon's read model: exactly `limit`,
 * none still reserved once every accepted order finished.
 */
export const runHotCoupon = async (
  target: Target,
  catalogue: Catalogue,
  orders = 10_000,
  limit = 500,
  inFlight = 200,
  settleTimeoutS = 120,
): Promise<HotCouponResult> => {
  const commands = new HttpJsonClient(target.commandUrl, {}, inFlight);
  const reads = new HttpJsonClient(target.readUrl, {}, 4);
  const { run } = catalogue;
  const code = `${run}-HOT500`;
  const send = async (method: 'PUT', path: string, body: unknown): Promise<void> => {
    const r = await commands.send(method, path, body);
    if (r.status >= 300) throw new Error(`hot coupon: ${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
  };
  try {
    await send('PUT', `/v1/promotions/${run}-hot-coupon`, {
      name: 'Flash coupon',
      currency: 'EUR',
      validFrom: new Date(Date.now() - 60_000).toISOString(),
      priority: 1_000,
      requiresCoupon: true,
      rule: { kind: 'PercentOff', basisPoints: 5000 },
    });
    await send('PUT', `/v1/coupons/${code}`, {
      promotionId: `${run}-hot-coupon`,
      totalLimit: limit,
      perCustomerLimit: 1,
    });
    const finishedBefore = await completedOrders(reads);
    const started = performance.now();
    const { accepted, refused } = await placeAll(commands, orders, inFlight, 'hot coupon', (i) => ({
      orderId: `${run}-coupon-${i}`,
      customerId: `coupon-${run}-${i}`,
      lines: [{ sku: catalogue.skus[i % catalogue.skus.length], quantity: 1 }],
      couponCode: code,
      payment: { token: 'tok_approve' },
    }));
    const deadline = started + settleTimeoutS * 1000;
    let settled = false;
    let coupon: Record<string, unknown> = {};
    while (performance.now() < deadline) {
      const r = await reads.send('GET', `/v1/coupons/${code}`);
      coupon = r.body;
      if (coupon.reserved === 0 && (await completedOrders(reads)) >= finishedBefore + accepted) {
        settled = true;
        break;
      }
      await sleep(250);
    }
    const num = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN);
    return {
      orders,
      limit,
      accepted,
      refused,
      settled,
      settleS: (performance.now() - started) / 1000,
      redeemed: num(coupon.redeemed),
      reserved: num(coupon.reserved),
    };
  } finally {
    commands.close();
    reads.close();
  }
};

export interface HttpBaseline {
  /** closed loop, 32 connections: the most bare requests/s the engine process answers */
  readonly maxRequestsPerSecond: number;
  /** open loop at `rate`: bare request latency with the same client and sockets */
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
}

/**
 * What plain HTTP costs on this machine right now: `GET /healthz` on the same engine process with the same client.
 * Order figures are reported against it, so a loaded machine shows up in both.
 */
export const httpBaseline = async (url: string, rate: number, seconds: number): Promise<HttpBaseline> => {
  const client = new HttpJsonClient(url, {}, 256);
  try {
    // a second of warm-up so JIT and socket setup stay out of the figures
    const warmUntil = performance.now() + 1000;
    while (performance.now() < warmUntil) await client.send('GET', '/healthz');
    // open loop before the saturating closed loop, which would leave GC debt and queues behind it
    const latencies: number[] = [];
    const pending: Promise<void>[] = [];
    const openStart = performance.now();
    let n = 0;
    while (performance.now() - openStart < seconds * 1000) {
      const due = Math.floor(((performance.now() - openStart) / 1000) * rate);
      while (n < due) {
        n++;
        pending.push(
          client.send('GET', '/healthz').then(
            (r) => {
              latencies.push(r.ms);
            },
            () => undefined,
          ),
        );
      }
      await sleep(2);
    }
    await Promise.all(pending);
    let count = 0;
    const stopAt = performance.now() + seconds * 1000;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (performance.now() < stopAt) {
          await client.send('GET', '/healthz');
          count++;
        }
      }),
    );
    const maxRequestsPerSecond = (count * 1000) / (performance.now() - started);
    return { maxRequestsPerSecond, rate, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
  } finally {
    client.close();
  }
};

/** Global log head, for events per order. */
export const headPosition = async (readUrl: string): Promise<number> => {
  const client = new HttpJsonClient(readUrl, {}, 1);
  try {
    const r = await client.send('GET', '/v1/projections');
    return typeof r.body.head === 'number' ? r.body.head : Number.NaN;
  } finally {
    client.close();
  }
};
