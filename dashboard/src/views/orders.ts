/// <reference lib="dom" />
// The line above lets the root tsconfig (Node libs only) type-check this browser module too.
import { dataTable, h, setChildren } from '../dom';
import { formatCount, humanize } from '../format';
import type { Order, Page } from '../types';
import { affects, type Changed, type View, type ViewContext } from '../view';
import { LastShown, markUpdated, oneAtATime, orderColumns, orderLink, Pager, updatedLine, viewHeading } from './common';

const STATUSES = ['Placed', 'Confirmed', 'Shipped', 'Cancelled', 'PartiallyRefunded', 'Refunded'] as const;
const PAGE_SIZE = 25;

export interface OrderFilters {
  readonly status: string;
  readonly customerId: string;
}

/** Filters live in the hash (`#/orders?status=Confirmed&customerId=c-1`), so a filtered list can be shared. */
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
  const clear = h('button', { type: 'button', class: 'secondary' }, 'Clear');
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter orders' },
    h('div', { class: 'field' }, h('label', { for: 'filter-status' }, 'Status'), status),
    h('div', { class: 'field' }, h('label', { for: 'filter-customer' }, 'Customer'), customer),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Apply'), clear),
  );

  const apply = (next: OrderFilters): void => {
    filters = next;
    const params = new URLSearchParams();
    if (next.status !== '') params.set('status', next.status);
    if (next.customerId !== '') params.set('customerId', next.customerId);
    const search = params.toString();
    // replaceState: no hashchange, so the view (and the focus in the form) stays
    history.replaceState(null, '', `#/orders${search === '' ? '' : `?${search}`}`);
    pager.reset();
    void load();
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    apply({ status: status.value, customerId: customer.value.trim() });
  });
  clear.addEventListener('click', () => {
    status.value = '';
    customer.value = '';
    apply({ status: '', customerId: '' });
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
    const cursor = pager.current;
    if (cursor !== undefined) params.set('cursor', cursor);
    try {
      const answer = await ctx.api.get<Page<Order>>(`orders?${params.toString()}`, signal);
      const { items, next } = answer.body;
      markUpdated(updated, ctx.now());
      if (!shown.changed({ filters, cursor, items, next })) return;
      const described = [
        filters.status === '' ? '' : humanize(filters.status).toLowerCase(),
        filters.customerId === '' ? '' : `of ${filters.customerId}`,
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

  return {
    title: 'Orders',
    async refresh(changed: Changed) {
      if (affects(changed, 'orders')) await load();
    },
    dispose() {
      controller.abort();
    },
  };
};
