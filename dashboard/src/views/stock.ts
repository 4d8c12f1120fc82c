/// <reference lib="dom" />
// The line above lets the root tsconfig (Node libs only) type-check this browser module too.
import { badge, dataTable, h, setChildren, type Column } from '../dom';
import { formatCount, formatDateTime, formatMoney } from '../format';
import type { Page, Sku } from '../types';
import { affects, type Changed, type View, type ViewContext } from '../view';
import { LastShown, markUpdated, oneAtATime, Pager, updatedLine, viewHeading } from './common';

const PAGE_SIZE = 50;

const columns: Column<Sku>[] = [
  { label: 'SKU', cell: (s) => h('span', { class: 'mono' }, s.sku) },
  { label: 'Name', cell: (s) => s.name ?? '—' },
  { label: 'Unit price', numeric: true, cell: (s) => (s.unitPrice === null ? '—' : formatMoney(s.unitPrice)) },
  { label: 'On hand', numeric: true, cell: (s) => formatCount(s.onHand) },
  { label: 'Reserved', numeric: true, cell: (s) => formatCount(s.reserved) },
  { label: 'Available', numeric: true, cell: (s) => formatCount(s.available) },
  // the word says it, the row colour only repeats it
  { label: 'Stock', cell: (s) => (s.lowStock ? badge('Low stock', 'red') : badge('OK', 'green')) },
  { label: 'Last change', cell: (s) => formatDateTime(s.updatedAt) },
];

/** Stock per SKU, SKUs running low highlighted, optionally only those. */
export const stockView = (ctx: ViewContext): View => {
  const controller = new AbortController();
  const { signal } = controller;
  const updated = updatedLine();
  const shown = new LastShown();
  const results = h('div', {});
  const pager = new Pager('Stock pages', () => {
    void load();
  });
  const onlyLow = h('input', { id: 'only-low', type: 'checkbox' });
  onlyLow.addEventListener('change', () => {
    pager.reset();
    void load();
  });

  setChildren(
    ctx.root,
    viewHeading('Stock', updated),
    h(
      'section',
      { class: 'card', 'aria-label': 'Stock' },
      h(
        'div',
        { class: 'filters' },
        h('div', { class: 'check' }, onlyLow, h('label', { for: 'only-low' }, 'Only SKUs running low')),
      ),
      results,
      pager.element,
    ),
  );

  const load = oneAtATime(async (): Promise<void> => {
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (onlyLow.checked) params.set('lowStock', 'true');
    const cursor = pager.current;
    if (cursor !== undefined) params.set('cursor', cursor);
    try {
      const answer = await ctx.api.get<Page<Sku>>(`skus?${params.toString()}`, signal);
      markUpdated(updated, ctx.now());
      if (!shown.changed({ low: onlyLow.checked, cursor, page: answer.body })) return;
      setChildren(
        results,
        dataTable(columns, answer.body.items, {
          caption: onlyLow.checked ? 'SKUs running low' : 'Stock per SKU',
          empty: onlyLow.checked ? 'No SKU is running low.' : 'No SKUs defined yet.',
          rowClass: (s) => (s.lowStock ? 'low' : undefined),
        }),
      );
      pager.show(answer.body.next);
    } catch (error) {
      shown.forget();
      ctx.failed(error, results);
    }
  });

  return {
    title: 'Stock',
    async refresh(changed: Changed) {
      if (affects(changed, 'skus')) await load();
    },
    dispose() {
      controller.abort();
    },
  };
};
