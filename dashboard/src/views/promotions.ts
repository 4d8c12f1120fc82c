/// <reference lib="dom" />
// The line above lets the root tsconfig (Node libs only) type-check this browser module too.
import { dataTable, h, note, setChildren, type Column } from '../dom';
import { describeRule, formatCount, formatMoney } from '../format';
import type { Coupon, Page, Promotion } from '../types';
import type { ViewContext } from '../view';
import { LastShown, oneAtATime } from './common';

/** Rows the overview's cards show; the full lists are in the read API. */
const CARD_ROWS = 8;

export interface OverviewCard {
  readonly element: HTMLElement;
  /** loads and renders the card, one load at a time */
  readonly load: () => Promise<void>;
}

const promotionColumns: Column<Promotion>[] = [
  { label: 'Promotion', cell: (p) => p.name ?? h('span', { class: 'mono' }, p.promotionId) },
  { label: 'Rule', cell: (p) => describeRule(p.rule) },
  { label: 'Discount', numeric: true, cell: (p) => formatMoney(p.discountTotal) },
  { label: 'Orders', numeric: true, cell: (p) => formatCount(p.orders) },
];

/** `412 / 500`, or the count alone for a coupon whose definition is not projected yet. */
const usedOfLimit = (c: Coupon): string =>
  c.totalLimit === null ? formatCount(c.redeemed) : `${formatCount(c.redeemed)} / ${formatCount(c.totalLimit)}`;

const couponColumns: Column<Coupon>[] = [
  { label: 'Code', cell: (c) => h('span', { class: 'mono' }, c.code) },
  { label: 'Redeemed / limit', numeric: true, cell: usedOfLimit },
  { label: 'Reserved', numeric: true, cell: (c) => formatCount(c.reserved) },
  { label: 'Left', numeric: true, cell: (c) => formatCount(c.redemptionsLeft) },
];

const card = (id: string, title: string, subtitle: string, body: HTMLElement): HTMLElement =>
  h(
    'section',
    { class: 'card', 'aria-labelledby': `${id}-title` },
    h('h2', { id: `${id}-title` }, title),
    h('p', { class: 'muted' }, subtitle),
    body,
  );

/** A card showing one page of a list; an update that changed nothing leaves the table (and screen readers) alone. */
const listCard = <T>(
  ctx: ViewContext,
  spec: {
    readonly id: string;
    readonly title: string;
    readonly subtitle: string;
    /** one page of the list, from the read API */
    readonly items: () => Promise<readonly T[]>;
    readonly render: (items: readonly T[]) => HTMLElement;
  },
): OverviewCard => {
  const body = h('div', {});
  const shown = new LastShown();
  const load = oneAtATime(async (): Promise<void> => {
    try {
      const items = await spec.items();
      if (!shown.changed(items)) return;
      setChildren(body, spec.render(items));
    } catch (error) {
      shown.forget();
      ctx.failed(error, body);
    }
  });
  return { element: card(spec.id, spec.title, spec.subtitle, body), load };
};

/**
 * The promotions active now, with the discount they gave on the orders placed with them (less cancelled ones). The
 * server computes the status at `at`, the page's own clock, so the page and the API agree on what "now" is.
 */
export const activePromotionsCard = (ctx: ViewContext, signal: AbortSignal): OverviewCard =>
  listCard<Promotion>(ctx, {
    id: 'promotions',
    title: 'Active promotions',
    subtitle: 'Discount on the orders placed with each, less cancelled ones',
    items: async () => {
      const query = new URLSearchParams({
        status: 'active',
        at: new Date(ctx.now()).toISOString(),
        limit: String(CARD_ROWS),
      });
      return (await ctx.api.get<Page<Promotion>>(`promotions?${query.toString()}`, signal)).body.items;
    },
    render: (items) =>
      items.length === 0
        ? note('No promotion is active now.')
        : dataTable(promotionColumns, items, { caption: 'Active promotions', empty: '' }),
  });

/** Each coupon's redemptions against its limit, and what is left for new orders (reservations count against it). */
export const couponUseCard = (ctx: ViewContext, signal: AbortSignal): OverviewCard =>
  listCard<Coupon>(ctx, {
    id: 'coupons',
    title: 'Coupon use',
    subtitle: 'Redeemed by paid orders; reservations of orders in progress count against the limit too',
    items: async () => (await ctx.api.get<Page<Coupon>>(`coupons?limit=${CARD_ROWS}`, signal)).body.items,
    render: (items) =>
      items.length === 0
        ? note('No coupons yet.')
        : dataTable(couponColumns, items, {
            caption: 'Coupon use',
            empty: '',
            rowClass: (c) => (c.totalLimit !== null && c.redemptionsLeft === 0 ? 'low' : undefined),
          }),
  });
