/// <reference lib="dom" />
// The line above lets the root tsconfig (Node libs only) type-check this browser module too.
import { dataTable, h, setChildren } from '../dom';
import { formatCount, humanize } from '../format';
import type { Order, Page } from '../types';
import { affects, type Changed, type View, type ViewContext } from '../view';
import { channelSelect, recentChannels, TRADE_TYPES } from '../channels';
import { LastShown, markUpdated, oneAtATime, orderColumns, orderLink, Pager, updatedLine, viewHeading } from './common';

// every status the read API filters by (read-api/queries.ts), in an order's usual sequence
const STATUSES = [
  'Placed',
  'AwaitingBalance',
  'Confirmed',
  'PartiallyShipped',
  'Shipped',
  'Delivered',
  'Cancelled',
  'PartiallyRefunded',
  'Refunded',
] as const;
const PAGE_SIZE = 25;

export interface OrderFilters {
  readonly status: string;
  readonly customerId: string;
  /** '' for every channel */
  readonly channel: string;
  readonly tradeType: string;
}

/**
 * Filters live in the hash (`#/orders?status=Confirmed&customerId=c-1&channel=pos`), so a filtered list can be
 * shared.
 */
export const ordersView = (ctx: ViewContext, initial: OrderFilters): View => {
  const controller = new AbortController();
  const { signal } = controller;
  let filters = initial;
  const updated = updatedLine();
  const shown = new LastShown();
  const results = h('div', {});
  const pager = new Pager('Orders pages', () => {
    void load();
  });

  const status = h(
    'select',
    { id: 'filter-status', name: 'status' },
    h('option', { value: '' }, 'Any status'),
    ...STATUSES.map((s) => h('option', { value: s, selected: s === filters.status }, humanize(s))),
  );
  const customer = h('input', {
    id: 'filter-customer',
    name: 'customerId',
    type: 'search',
    value: filters.customerId,
    autocomplete: 'off',
    spellcheck: false,
    placeholder: 'e.g. c-1',
  });
  const channel = channelSelect('filter-channel', filters.channel);
  const tradeType = h(
    'select',
    { id: 'filter-trade-type', name: 'tradeType' },
    h('option', { value: '' }, 'Any trade type'),
    ...TRADE_TYPES.map((t) => h('option', { value: t, selected: t === filters.tradeType }, humanize(t))),
  );
  const clear = h('button', { type: 'button', class: 'secondary' }, 'Clear');
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter orders' },
    h('div', { class: 'field' }, h('label', { for: 'filter-status' }, 'Status'), status),
    h('div', { class: 'field' }, h('label', { for: 'filter-customer' }, 'Customer'), customer),
    h('div', { class: 'field' }, h('label', { for: 'filter-channel' }, 'Channel'), channel.element),
    h('div', { class: 'field' }, h('label', { for: 'filter-trade-type' }, 'Trade type'), tradeType),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Apply'), clear),
  );

  const apply = (next: OrderFilters): void => {
    filters = next;
    const params = new URLSearchParams();
    if (next.status !== '') params.set('status', next.status);
    if (next.customerId !== '') params.set('customerId', next.customerId);
    if (next.channel !== '') params.set('channel', next.channel);
    if (next.tradeType !== '') params.set('tradeType', next.tradeType);
    const search = params.toString();
    // replaceState: no hashchange, so the view (and the focus in the form) stays
    history.replaceState(null, '', `#/orders${search === '' ? '' : `?${search}`}`);
    pager.reset();
    void load();
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    apply({
      status: status.value,
      customerId: customer.value.trim(),
      channel: channel.element.value,
      tradeType: tradeType.value,
    });
  });
  clear.addEventListener('click', () => {
    status.value = '';
    customer.value = '';
    channel.element.value = '';
    channel.element.dispatchEvent(new Event('change'));
    tradeType.value = '';
    apply({ status: '', customerId: '', channel: '', tradeType: '' });
  });

  setChildren(
    ctx.root,
    viewHeading('Orders', updated),
    h('section', { class: 'card', 'aria-label': 'Orders' }, form, results, pager.element),
  );

  const load = oneAtATime(async (): Promise<void> => {
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (filters.status !== '') params.set('status', filters.status);
    if (filters.customerId !== '') params.set('customerId', filters.customerId);
    if (filters.channel !== '') params.set('channel', filters.channel);
    if (filters.tradeType !== '') params.set('tradeType', filters.tradeType);
    const cursor = pager.current;
    if (cursor !== undefined) params.set('cursor', cursor);
    try {
      const answer = await ctx.api.get<Page<Order>>(`orders?${params.toString()}`, signal);
      const { items, next } = answer.body;
      markUpdated(updated, ctx.now());
      if (!shown.changed({ filters, cursor, items, next })) return;
      const described = [
        filters.status === '' ? '' : humanize(filters.status).toLowerCase(),
        filters.tradeType === '' ? '' : humanize(filters.tradeType).toLowerCase(),
        filters.customerId === '' ? '' : `of ${filters.customerId}`,
        filters.channel === '' ? '' : `through ${filters.channel}`,
      ]
        .filter((s) => s !== '')
        .join(' ');
      setChildren(
        results,
        dataTable(orderColumns(false), items, {
          caption: `Orders${described === '' ? '' : ` (${described})`}, newest first`,
          empty: 'No orders match these filters.',
          rowLink: (o) => orderLink(o.orderId),
        }),
        h(
          'p',
          { class: 'muted' },
          `${formatCount(items.length)} ${items.length === 1 ? 'order' : 'orders'} on this page`,
        ),
      );
      pager.show(next);
    } catch (error) {
      shown.forget();
      ctx.failed(error, results);
    }
  });

  const loadChannels = oneAtATime(async (): Promise<void> => {
    try {
      channel.refill(await recentChannels(ctx, signal));
    } catch (error) {
      // the list still filters by the channel in the link; only the other choices are missing
      if (!(error instanceof DOMException && error.name === 'AbortError')) channel.refill([]);
    }
  });

  return {
    title: 'Orders',
    async refresh(changed: Changed) {
      if (affects(changed, 'sales')) await loadChannels();
      if (affects(changed, 'orders')) await load();
    },
    dispose() {
      controller.abort();
    },
  };
};
