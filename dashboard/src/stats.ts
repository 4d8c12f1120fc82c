import type { SalesBucket } from './types';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface Window {
  readonly from: string;
  readonly to: string;
}

/** The last `hours` whole UTC hours, the current one included (sales buckets are UTC hours). */
export const hourWindow = (now: number, hours: number): Window => {
  const to = Math.floor(now / HOUR) * HOUR + HOUR;
  return { from: new Date(to - hours * HOUR).toISOString(), to: new Date(to).toISOString() };
};

/** The last `days` whole UTC days, today included. */
export const dayWindow = (now: number, days: number): Window => {
  const to = Math.floor(now / DAY) * DAY + DAY;
  return { from: new Date(to - days * DAY).toISOString(), to: new Date(to).toISOString() };
};

export interface SalesTotals {
  readonly placed: number;
  readonly confirmed: number;
  readonly cancelled: number;
  readonly units: number;
  readonly refundCount: number;
  /** minor units per currency */
  readonly revenue: Readonly<Record<string, number>>;
  readonly refunds: Readonly<Record<string, number>>;
}

const addInto = (into: Record<string, number>, from: Readonly<Record<string, number>>): void => {
  for (const [currency, amount] of Object.entries(from)) into[currency] = (into[currency] ?? 0) + amount;
};

export const totals = (buckets: readonly SalesBucket[]): SalesTotals => {
  const revenue: Record<string, number> = {};
  const refunds: Record<string, number> = {};
  let placed = 0;
  let confirmed = 0;
  let cancelled = 0;
  let units = 0;
  let refundCount = 0;
  for (const b of buckets) {
    placed += b.ordersPlaced;
    confirmed += b.ordersConfirmed;
    cancelled += b.ordersCancelled;
    units += b.unitsOrdered;
    refundCount += b.refundCount;
    addInto(revenue, b.revenue);
    addInto(refunds, b.refunds);
  }
  return { placed, confirmed, cancelled, units, refundCount, revenue, refunds };
};

/**
 * Every bucket of the window in order, empty ones filled with zeros: the API returns only buckets that saw an
 * event, and a chart with gaps left out would squeeze quiet hours away.
 */
export const filled = (buckets: readonly SalesBucket[], window: Window, granularity: 'hour' | 'day'): SalesBucket[] => {
  const step = granularity === 'hour' ? HOUR : DAY;
  const byStart = new Map(buckets.map((b) => [Date.parse(b.start), b]));
  const out: SalesBucket[] = [];
  for (let t = Date.parse(window.from); t < Date.parse(window.to); t += step) {
    const start = new Date(t).toISOString();
    out.push(
      byStart.get(t) ?? {
        bucket: `${granularity}:${start}`,
        granularity,
        start,
        ordersPlaced: 0,
        ordersConfirmed: 0,
        ordersCancelled: 0,
        revenue: {},
        refunds: {},
        refundCount: 0,
        unitsOrdered: 0,
      },
    );
  }
  return out;
};

/** Currencies seen in the buckets, the one with the most revenue first. */
export const currencies = (buckets: readonly SalesBucket[]): string[] => {
  const sum: Record<string, number> = {};
  for (const b of buckets) addInto(sum, b.revenue);
  return Object.entries(sum)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([currency]) => currency);
};
