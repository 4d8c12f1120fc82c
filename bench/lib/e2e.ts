import { HttpJsonClient } from '../http-client';
import {
  completedOrders,
  headPosition,
  httpBaseline,
  runHotCoupon,
  runHotSku,
  runStep,
  setupCatalogue,
  setupPromotions,
  type HotCouponResult,
  type HotSkuResult,
  type HttpBaseline,
  type Catalogue,
  type StepResult,
  type Target,
} from './load';
import { int, ms, progress, ratio, row, sleep, type TableRow } from './report';

/** Completion percentiles, or why there are none (no sampled order finished inside the step and its drain). */
const completion = (s: StepResult, p: 'p50' | 'p99'): string =>
  s.completionMs.samples === 0 ? 'n/a (no sample finished)' : ms(s.completionMs[p]);

export interface E2eOptions {
  /** open-loop rates tried in order; the search stops at the first one not held */
  readonly steps: readonly number[];
  readonly stepSeconds: number;
  /** no new step starts after this many seconds of searching */
  readonly budgetSeconds: number;
  /** the rate whose command p99 is a goal */
  readonly p99Rate: number;
  readonly hotOrders: number;
  readonly hotStock: number;
  readonly hotInFlight: number;
  /** run an extra step at `p99Rate` when the search stopped below it (only worth it where that rate is a goal) */
  readonly p99Step: boolean;
  readonly hotSettleTimeoutS: number;
  /** search again with promotions and coupons on every order, and report it against the search without; then a hot coupon */
  readonly promotions?: boolean;
  /** the hot coupon after the search with promotions (default 10,000 orders on a coupon limited to 500) */
  readonly hotCouponOrders?: number;
  readonly hotCouponLimit?: number;
  /**
   * called once the `/healthz` baseline and the warm-up are over, before the first counted order: a caller measuring
   * CPU per order starts there, so the baseline's tens of thousands of requests and the warm-up's uncounted orders
   * are not charged to the orders
   */
  readonly onCountedOrders?: () => void | Promise<void>;
  /**
   * called once the counted orders (the ladder's steps and the p99 step) have all finished, before the hot SKU, with
   * how many were accepted: the hot SKU's orders are mostly refused as sold out, far cheaper than an order that
   * completes, and would dilute a CPU-per-order figure
   */
  readonly onCountedOrdersDone?: (orders: number) => void | Promise<void>;
}

export interface E2eResult {
  readonly baseline: HttpBaseline;
  readonly steps: readonly StepResult[];
  readonly highestHeld: number | undefined;
  /** the most orders/s ever finished (confirmed and visible) in a step's second half, held or not */
  readonly bestCompletionRate: number;
  readonly atP99Rate: StepResult | undefined;
  readonly hotSku: HotSkuResult;
  readonly eventsPerOrder: number;
  readonly withPromotions?: Searched;
  readonly hotCoupon?: HotCouponResult;
}

/** Asks `probe` on a client of the read side until it says yes or `timeoutS` ran out; answers which. */
const pollUntil = async (
  readUrl: string,
  timeoutS: number,
  intervalMs: number,
  probe: (client: HttpJsonClient) => Promise<boolean>,
): Promise<boolean> => {
  const client = new HttpJsonClient(readUrl, {}, 1);
  try {
    const deadline = performance.now() + timeoutS * 1000;
    while (performance.now() < deadline) {
      if (await probe(client)) return true;
      await sleep(intervalMs);
    }
    return false;
  } finally {
    client.close();
  }
};

/** Waits (bounded) until every accepted order is finished on the read side, so one step does not bleed into the next. */
const settle = (readUrl: string, expected: number, timeoutS: number): Promise<boolean> =>
  pollUntil(readUrl, timeoutS, 500, async (client) => (await completedOrders(client)) >= expected);

/**
 * Waits until nothing is left in flight: the log head has stopped moving for a second and every projection has
 * reached it. A phase that leaves work behind (the hot SKU's hundreds of cancellations, still being compensated when
 * its confirmations settled) would otherwise push the next search's first step into shedding.
 */
const quiesce = (readUrl: string, timeoutS: number): Promise<boolean> => {
  let previousHead = -1;
  return pollUntil(readUrl, timeoutS, 1_000, async (client) => {
    const r = await client.send('GET', '/v1/projections');
    const head = typeof r.body.head === 'number' ? r.body.head : Number.NaN;
    const projections: unknown = r.body.projections;
    const caughtUp =
      Array.isArray(projections) &&
      projections.every((p: unknown) => typeof p === 'object' && p !== null && 'lag' in p && p.lag === 0);
    const still = head === previousHead;
    previousHead = head;
    return caughtUp && still;
  });
};

export const runE2e = async (target: Target, o: E2eOptions): Promise<E2eResult> => {
  const run = `b${Date.now().toString(36)}`;
  progress('e2e: HTTP baseline (GET /healthz on the engine, same client)');
  const baseline = await httpBaseline(target.commandUrl, o.p99Rate, 5);
  progress(
    `e2e: baseline ${int(baseline.maxRequestsPerSecond)} req/s closed loop; ${o.p99Rate}/s open loop p50 ${ms(baseline.p50)} p99 ${ms(baseline.p99)}`,
  );
  const catalogue = await setupCatalogue(target, run);
  progress('e2e: warm-up 5 s at 100 orders/s');
  const warm = await runStep(target, catalogue, { rate: 100, durationS: 5, label: 'warm-up' });
  let accepted = warm.accepted;
  // the first step must not inherit the warm-up's backlog
  await settle(target.readUrl, accepted, 60);
  await o.onCountedOrders?.();

  const searched = await search(target, catalogue, o.steps, o, accepted);
  const { steps, highestHeld } = searched;
  accepted += searched.accepted;
  let atP99Rate = steps.find((s) => s.rate === o.p99Rate);
  if (atP99Rate === undefined && o.p99Step) {
    progress(`e2e: waiting for the backlog, then ${o.p99Rate}/s for the command-latency goal`);
    await settle(target.readUrl, accepted, 60);
    atP99Rate = await runStep(target, catalogue, {
      rate: o.p99Rate,
      durationS: Math.min(o.stepSeconds, 15),
      label: `${o.p99Rate}/s (p99)`,
    });
    accepted += atP99Rate.accepted;
  }
  progress('e2e: waiting for the backlog before the hot SKU');
  await settle(target.readUrl, accepted, 90);
  await o.onCountedOrdersDone?.(accepted - warm.accepted);
  const head = await headPosition(target.readUrl);
  const eventsPerOrder = head / Math.max(1, accepted);

  progress(`e2e: hot SKU: ${o.hotOrders} orders, ${o.hotInFlight} in flight, ${o.hotStock} units`);
  const hotSku = await runHotSku(target, run, o.hotOrders, o.hotStock, o.hotInFlight, o.hotSettleTimeoutS);
  progress(
    `e2e: hot SKU settled=${hotSku.settled} in ${hotSku.settleS.toFixed(1)} s: confirmed ${hotSku.confirmed}, cancelled ${hotSku.cancelled}, oversold ${hotSku.oversold}`,
  );
  const rates = [...steps, ...(atP99Rate ? [atP99Rate] : [])].map((s) => s.completionRate).filter(Number.isFinite);
  if (o.promotions) {
    progress('e2e: waiting until the hot SKU has left nothing in flight (its cancellations), before the promotions');
    await quiesce(target.readUrl, 60);
  }
  const withPromotions = o.promotions ? await promotionsSearch(target, catalogue, o, highestHeld) : undefined;
  let hotCoupon: HotCouponResult | undefined;
  if (o.promotions) {
    const [orders, limit] = [o.hotCouponOrders ?? 10_000, o.hotCouponLimit ?? 500];
    progress(`e2e: hot coupon: ${orders} orders on a coupon limited to ${limit}`);
    hotCoupon = await runHotCoupon(target, catalogue, orders, limit, o.hotInFlight);
    progress(
      `e2e: hot coupon settled=${hotCoupon.settled} in ${hotCoupon.settleS.toFixed(1)} s: redeemed ${hotCoupon.redeemed}, still reserved ${hotCoupon.reserved}`,
    );
  }
  return {
    baseline,
    steps,
    highestHeld,
    bestCompletionRate: rates.length > 0 ? Math.max(...rates) : Number.NaN,
    atP99Rate,
    hotSku,
    eventsPerOrder,
    ...(withPromotions === undefined ? {} : { withPromotions }),
    ...(hotCoupon === undefined ? {} : { hotCoupon }),
  };
};

interface Searched {
  readonly steps: readonly StepResult[];
  readonly highestHeld: number | undefined;
  readonly accepted: number;
}

/**
 * Open-loop steps up the ladder until one is not held, then one bisection between the last rate held and the first
 * one missed, so a coarse ladder still gives a figure.
 */
const search = async (
  target: Target,
  catalogue: Catalogue,
  ladder: readonly number[],
  o: E2eOptions,
  /** orders the read side will count as finished from earlier steps */
  before: number,
  what = 'e2e',
): Promise<Searched> => {
  const steps: StepResult[] = [];
  let highestHeld: number | undefined;
  let accepted = 0;
  const searchStarted = performance.now();
  for (const rate of ladder) {
    if ((performance.now() - searchStarted) / 1000 > o.budgetSeconds) {
      progress(`${what}: time budget of ${o.budgetSeconds} s spent; stopping the search before ${rate}/s`);
      break;
    }
    progress(`${what}: step ${rate} orders/s for ${o.stepSeconds} s`);
    const step = await runStep(target, catalogue, { rate, durationS: o.stepSeconds });
    steps.push(step);
    accepted += step.accepted;
    progress(
      `${what}: ${rate}/s ${step.held ? 'HELD' : 'not held'}: sent ${int(step.achievedSendRate)}/s, finished ${int(step.completionRate)}/s, ` +
        `backlog slope ${step.backlogSlope.toFixed(1)}/s, drained ${step.drained ? `in ${step.drainS.toFixed(1)} s` : 'NO'}, ` +
        `command p99 ${ms(step.commandMs.p99)}, completion p99 ${ms(step.completionMs.p99)}`,
    );
    if (!step.held) break;
    highestHeld = rate;
  }
  const missed = steps.find((s) => !s.held)?.rate;
  if (missed !== undefined && (performance.now() - searchStarted) / 1000 <= o.budgetSeconds) {
    const mid = Math.round(((highestHeld ?? 0) + missed) / 2 / 10) * 10;
    if (mid > (highestHeld ?? 0) && mid < missed) {
      progress(`${what}: waiting for the backlog, then a bisection step at ${mid} orders/s`);
      await settle(target.readUrl, before + accepted, 60);
      const step = await runStep(target, catalogue, { rate: mid, durationS: o.stepSeconds });
      steps.push(step);
      accepted += step.accepted;
      progress(`${what}: ${mid}/s ${step.held ? 'HELD' : 'not held'}: finished ${int(step.completionRate)}/s`);
      if (step.held) highestHeld = mid;
    }
  }
  return { steps, highestHeld, accepted };
};

/**
 * The same search with promotions and coupons pricing every order (issue 19's figure), from one ladder step below
 * the rate held without them, after the backlog of the first search drained.
 */
const promotionsSearch = async (
  target: Target,
  catalogue: Catalogue,
  o: E2eOptions,
  heldWithout: number | undefined,
): Promise<Searched> => {
  const client = new HttpJsonClient(target.readUrl, {}, 1);
  let finished: number;
  try {
    finished = await completedOrders(client);
  } finally {
    client.close();
  }
  progress('e2e with promotions: defining a promotion book and a coupon');
  const priced = await setupPromotions(target, catalogue);
  const from = Math.max(0, o.steps.findIndex((rate) => rate >= (heldWithout ?? 0)) - 1);
  const searched = await search(target, priced, o.steps.slice(from), o, finished, 'e2e with promotions');
  await settle(target.readUrl, finished + searched.accepted, 60);
  return searched;
};

export interface E2eGoals {
  /** orders/s held end to end, or undefined when this mode has no goal */
  readonly heldRate: number | undefined;
  readonly p99Ms: number | undefined;
  /** completion p99 (POST → Confirmed visible) at the p99 rate */
  readonly completionP99Ms?: number;
  readonly hotSettleS?: number;
  /** the engine's processes together */
  readonly peakRssMiB?: number;
}

/** Issue 19's figure: the rate held with promotions and coupons pricing every order, against the rate without. */
const promotionRows = (r: E2eResult): TableRow[] => {
  const w = r.withPromotions;
  if (w === undefined) return [];
  const held = w.steps.find((s) => s.rate === w.highestHeld);
  const c = r.hotCoupon;
  const coupon =
    c === undefined
      ? []
      : [
          row(
            `hot coupon: ${int(c.orders)} orders on a coupon limited to ${int(c.limit)}: redeemed`,
            `${c.redeemed} (${c.settled ? `settled in ${c.settleS.toFixed(1)} s` : 'NOT settled'}, ${c.reserved} still reserved, ${int(c.accepted)} accepted)`,
            { goal: `= ${c.limit}`, met: c.settled && c.redeemed === c.limit && c.reserved === 0 },
          ),
        ];
  return [
    ...coupon,
    row(
      'e2e with promotions and coupons: highest rate held',
      w.highestHeld === undefined ? 'none of the steps' : `${int(w.highestHeld)} orders/s`,
      {
        baseline: r.highestHeld === undefined ? 'none held without' : `${int(r.highestHeld)} orders/s without`,
        ratio: ratio(w.highestHeld ?? 0, r.highestHeld ?? 0),
        goal: '≥ 80 % of the rate without',
        met: (w.highestHeld ?? 0) >= 0.8 * (r.highestHeld ?? 0) && r.highestHeld !== undefined,
      },
    ),
    ...(held === undefined
      ? []
      : [
          row(
            `  … at ${int(held.rate)}/s: command p99, completion p99`,
            `${ms(held.commandMs.p99)}, ${completion(held, 'p99')}`,
          ),
        ]),
  ];
};

/** What the log holds per order, read from the event store file after the run (embedded mode). */
export interface LogFigures {
  readonly domainEventsPerOrder: number;
  readonly sagaEventsPerOrder: number;
  /** stored bytes (data + metadata) of an average event */
  readonly bytesPerEvent: number;
}

export const e2eRows = (
  r: E2eResult,
  goals: E2eGoals,
  peakRss: readonly (readonly [string, number])[],
  log?: LogFigures,
): TableRow[] => {
  const held = r.steps.find((s) => s.rate === r.highestHeld);
  const base = r.baseline;
  const rows: TableRow[] = [
    row('HTTP baseline: GET /healthz closed loop (32 conns)', `${int(base.maxRequestsPerSecond)} req/s`),
    row(
      'e2e: highest rate held 30 s (POST → Confirmed in read API, backlog flat)',
      r.highestHeld === undefined ? 'none of the steps' : `${int(r.highestHeld)} orders/s`,
      {
        baseline: `${int(base.maxRequestsPerSecond)} req/s`,
        ratio: ratio(r.highestHeld ?? 0, base.maxRequestsPerSecond),
        goal: goals.heldRate === undefined ? '' : `≥ ${int(goals.heldRate)} orders/s`,
        met: goals.heldRate === undefined ? undefined : (r.highestHeld ?? 0) >= goals.heldRate,
      },
    ),
    ...promotionRows(r),
    row('e2e: most orders/s finished in any step (held or not)', `${int(r.bestCompletionRate)} orders/s`, {
      baseline: `${int(base.maxRequestsPerSecond)} req/s`,
      ratio: ratio(r.bestCompletionRate, base.maxRequestsPerSecond),
    }),
  ];
  if (held !== undefined) {
    rows.push(
      row(
        `e2e at ${int(held.rate)}/s (highest held): command p50 / p99`,
        `${ms(held.commandMs.p50)} / ${ms(held.commandMs.p99)}`,
      ),
      row(
        `e2e at ${int(held.rate)}/s: completion p50 / p99 (POST → Confirmed visible)`,
        `${completion(held, 'p50')} / ${completion(held, 'p99')}`,
      ),
    );
  }
  const p = r.atP99Rate;
  if (p !== undefined) {
    rows.push(
      row(`command p99 at ${int(p.rate)} orders/s (open loop)`, ms(p.commandMs.p99), {
        baseline: `${ms(base.p99)} (healthz p99 at ${int(base.rate)}/s)`,
        ratio: Number.isFinite(base.p99) && base.p99 > 0 ? `${(p.commandMs.p99 / base.p99).toFixed(1)}×` : 'n/a',
        goal: goals.p99Ms === undefined ? '' : `≤ ${goals.p99Ms} ms`,
        met: goals.p99Ms === undefined ? undefined : p.commandMs.p99 <= goals.p99Ms,
      }),
      row(
        `  … at ${int(p.rate)}/s: command p50, completion p50 / p99, held`,
        `${ms(p.commandMs.p50)}, ${completion(p, 'p50')} / ${completion(p, 'p99')}, ${p.held ? 'yes' : 'no'}`,
        goals.completionP99Ms === undefined
          ? {}
          : {
              goal: `completion p99 ≤ ${goals.completionP99Ms} ms`,
              met: p.completionMs.p99 <= goals.completionP99Ms,
            },
      ),
    );
  }
  for (const s of r.steps)
    rows.push(
      row(
        `  step ${int(s.rate)}/s`,
        `${s.held ? 'held' : 'NOT held'}: finished ${int(s.completionRate)}/s, backlog slope ${s.backlogSlope.toFixed(0)}/s, ` +
          `cmd p99 ${ms(s.commandMs.p99)}, completion p99 ${completion(s, 'p99')}${s.errors + s.dropped > 0 ? `, errors ${s.errors} dropped ${s.dropped}` : ''}`,
      ),
    );
  const h = r.hotSku;
  rows.push(
    row(
      `hot SKU: ${int(h.orders)} orders (${h.stock} units) settle time`,
      h.settled ? `${h.settleS.toFixed(1)} s` : `not settled in ${h.settleS.toFixed(0)} s`,
      goals.hotSettleS === undefined
        ? {}
        : { goal: `≤ ${goals.hotSettleS} s`, met: h.settled && h.settleS <= goals.hotSettleS },
    ),
    row('hot SKU: confirmed (read API)', String(h.confirmed), {
      goal: `= ${h.stock}`,
      met: h.confirmed === h.stock,
    }),
    row('hot SKU: oversold', String(h.oversold), {
      goal: '0',
      met: h.oversold === 0 && !(h.skuAvailable < 0),
    }),
    row('events per order (global log head ÷ orders)', r.eventsPerOrder.toFixed(1)),
  );
  if (log !== undefined) {
    rows.push(
      row(
        '  … of which domain / saga bookkeeping',
        `${log.domainEventsPerOrder.toFixed(1)} / ${log.sagaEventsPerOrder.toFixed(1)}`,
      ),
      row(
        'bytes appended per order (event data + metadata)',
        `${int(r.eventsPerOrder * log.bytesPerEvent)} B (${int(log.bytesPerEvent)} B per event)`,
      ),
    );
  }
  for (const [name, mib] of peakRss) rows.push(row(`peak RSS (VmHWM) ${name}`, `${int(mib)} MiB`));
  if (peakRss.length > 1 || goals.peakRssMiB !== undefined) {
    const total = peakRss.reduce((sum, [, mib]) => sum + mib, 0);
    rows.push(
      row(
        'peak RSS, all engine processes (sum of peaks)',
        `${int(total)} MiB`,
        goals.peakRssMiB === undefined ? {} : { goal: `≤ ${goals.peakRssMiB} MiB`, met: total <= goals.peakRssMiB },
      ),
    );
  }
  return rows;
};
