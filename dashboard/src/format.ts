import type { Money, PromotionRule } from './types';

const digitsByCurrency = new Map<string, number>();

/** Minor units per major unit as Intl knows them (EUR 2, JPY 0, KWD 3); null for a code Intl rejects. */
const fractionDigits = (currency: string): number | null => {
  const known = digitsByCurrency.get(currency);
  if (known !== undefined) return known;
  try {
    const digits =
      new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    digitsByCurrency.set(currency, digits);
    return digits;
  } catch {
    return null;
  }
};

/** `€12.50` from `{ amount: 1250, currency: 'EUR' }`: amounts are integer minor units, never floats on the wire. */
export const formatMoney = (money: Money, locale?: string): string => {
  const digits = fractionDigits(money.currency);
  if (digits === null) return `${money.amount} ${money.currency}`;
  return new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: money.currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(money.amount / 10 ** digits);
};

/** Major units as a plain number, for chart axes. */
export const majorUnits = (money: Money): number => money.amount / 10 ** (fractionDigits(money.currency) ?? 0);

/** A major-unit amount (a chart value) with its currency; whole amounts without decimals: `€1,200`. */
export const formatMajor = (value: number, currency: string, locale?: string): string => {
  const whole = Number.isInteger(value) ? { minimumFractionDigits: 0, maximumFractionDigits: 0 } : {};
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency, ...whole }).format(value);
  } catch {
    return `${value} ${currency}`;
  }
};

export const formatCount = (n: number, locale?: string): string => new Intl.NumberFormat(locale).format(n);

/** One decimal below ten, none above: `0.4`, `12`. */
export const formatRate = (n: number, locale?: string): string =>
  new Intl.NumberFormat(locale, { maximumFractionDigits: n < 10 ? 1 : 0 }).format(n);

/** `—` when there is nothing to divide by, so an empty window never reads as 0 %. */
export const formatPercent = (part: number, whole: number, locale?: string): string =>
  whole === 0
    ? '—'
    : new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(part / whole);

export const formatDateTime = (iso: string | null | undefined, locale?: string): string => {
  if (iso === null || iso === undefined) return '—';
  const ms = Date.parse(iso);
  return Number.isNaN(ms)
    ? iso
    : new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' }).format(new Date(ms));
};

export const formatTime = (iso: string, locale?: string): string => {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Intl.DateTimeFormat(locale, { timeStyle: 'medium' }).format(new Date(ms));
};

/** `OrderPlaced` → `Order placed`; `PartiallyRefunded` → `Partially refunded`. */
export const humanize = (code: string): string => {
  const words = code.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
};

/** Sums amounts per currency into a list, largest first, for figures that may mix currencies. */
export const moneyList = (byCurrency: Readonly<Record<string, number>>): Money[] =>
  Object.entries(byCurrency)
    .map(([currency, amount]) => ({ currency, amount }))
    .sort((a, b) => b.amount - a.amount || a.currency.localeCompare(b.currency));

/** `10 % off MUG-1`, `€10.00 off from €50.00`, `Buy 2 get 1 free: MUG-1`, `MUG-1 + TEE-1 for €20.00`. */
export const describeRule = (rule: PromotionRule | null, locale?: string): string => {
  if (rule === null) return '—';
  switch (rule.kind) {
    case 'PercentOff': {
      const percent = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(rule.basisPoints / 100);
      return `${percent} % off ${rule.skus === undefined ? 'the order' : rule.skus.join(', ')}`;
    }
    case 'AmountOffOrder':
      return `${formatMoney(rule.amount, locale)} off from ${formatMoney(rule.threshold, locale)}`;
    case 'BuyNGetMFree':
      return `Buy ${rule.buy} get ${rule.free} free: ${rule.sku}`;
    case 'BundlePrice':
      return `${rule.skus.join(' + ')} for ${formatMoney(rule.price, locale)}`;
    default: {
      // a rule kind this page does not know yet (a newer server): its name still says something
      const unknown: { readonly kind?: unknown } = rule;
      return typeof unknown.kind === 'string' ? humanize(unknown.kind) : '—';
    }
  }
};
