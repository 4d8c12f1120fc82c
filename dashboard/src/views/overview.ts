/// <reference lib="dom" />
// The line above lets the root tsconfig (Node libs only) type-check this browser module too.
import { barChart, palette, showSeries, type BarChart } from '../charts';
import { badge, dataTable, h, note, setChildren, type Column } from '../dom';
import { formatCount, formatMajor, formatMoney, formatPercent, formatRate, majorUnits, moneyList } from '../format';
import { currencies, dayWindow, filled, hourWindow, totals, type Window } from '../stats';
import type { FlowStatus, Order, Page, ProjectionHealth, Projections, SalesBucket, SalesStats, Sku } from '../types';
import { ApiError } from '../api';
import { affects, type Changed, type View, type ViewContext } from '../view';
import { channelPart, channelSelect, channelsIn } from '../channels';
import { LastShown, markUpdated, oneAtATime, orderColumns, orderLink, updatedLine, viewHeading } from './common';
import { activePromotionsCard, couponUseCard } from './promotions';

/** The orders-per-minute figure counts orders placed in this many minutes before now. */
const RATE_MINUTES = 15;
const RATE_PAGE = 500;
const CHART_DAYS = 14;

interface Figure {
  readonly element: HTMLElement;
  readonly value: HTMLElement;
  readonly note: HTMLElement;
}

const figure = (key: string, label: string): Figure => {
  const value = h('dd', { class: 'figure-value' }, '…');
  const noteLine = h('dd', { class: 'figure-note' });
  return {
    element: h('div', { class: 'figure', 'data-figure': key }, h('dt', {}, label), value, noteLine),
    value,
    note: noteLine,
  };
};

const show = (f: Figure, value: string, noteText: string): void => {
  f.value.textContent = value;
  f.note.textContent = noteText;
};

const utcHour = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });
const utcDay = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });

const query = (params: Readonly<Record<string, string>>): string => new URLSearchParams(params).toString();

interface ChartCard {
  readonly element: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  readonly table: HTMLElement;
  readonly subtitle: HTMLElement;
}

const chartCard = (id: string, title: string): ChartCard => {
  const canvas = h('canvas', { role: 'img', 'aria-label': title });
  const table = h('div', {});
  const subtitle = h('p', { class: 'muted' });
  const element = h(
    'section',
    { class: 'card', 'aria-labelledby': `${id}-title` },
    h('h2', { id: `${id}-title` }, title),
    subtitle,
    h('div', { class: 'chart' }, canvas),
    h('details', {}, h('summary', {}, 'Show the numbers'), table),
  );
  return { element, canvas, table, subtitle };
};

/** `{ version: 2, percent: 45 }` → ` to v2, 45 %`: whatever details the server gives about a running rebuild. */
const rebuildDetails = (rebuilding: unknown): string => {
  if (typeof rebuilding !== 'object' || rebuilding === null) return '';
  const version = 'version' in rebuilding && typeof rebuilding.version === 'number' ? ` to v${rebuilding.version}` : '';
  const percent = 'percent' in rebuilding && typeof rebuilding.percent === 'number' ? `, ${rebuilding.percent} %` : '';
  return `${version}${percent}`;
};

const projectionState = (p: ProjectionHealth): HTMLElement => {
  if (p.rebuilding !== undefined && p.rebuilding !== false && p.rebuilding !== null)
    return badge(`Rebuild in progress${rebuildDetails(p.rebuilding)}`, 'blue');
  if (p.rebuildDue === true) return badge('Rebuild due', 'amber');
  return p.lag === 0 ? badge('Up to date', 'green') : badge(`Behind by ${formatCount(p.lag)}`, 'amber');
};

const projectionColumns: Column<ProjectionHealth>[] = [
  {
    label: 'Read model',
    cell: (p) => [
      h('span', { class: 'mono' }, p.name),
      ' ',
      h('span', { class: 'muted small' }, `v${p.liveVersion ?? p.version}`),
    ],
  },
  { label: 'Position', numeric: true, cell: (p) => formatCount(p.position) },
  { label: 'Lag', numeric: true, cell: (p) => formatCount(p.lag) },
  { label: 'Docs', numeric: true, cell: (p) => (p.documents === undefined ? '—' : formatCount(p.documents)) },
  { label: 'State', cell: projectionState },
];

const lowStockColumns: Column<Sku>[] = [
  { label: 'SKU', cell: (s) => h('span', { class: 'mono' }, s.sku) },
  { label: 'Name', cell: (s) => s.name ?? '—' },
  { label: 'Available', numeric: true, cell: (s) => formatCount(s.available) },
];

const breakerBadge = (state: FlowStatus['breaker']): HTMLElement => {
  switch (state) {
    case 'open':
      return badge('Open: payments wait', 'red');
    case 'half_open':
      return badge('Half open: probing', 'amber');
    case 'closed':
      return badge('Closed', 'green');
    case null:
      return badge('Not known here', 'grey');
  }
};

/** Requests per second between two readings of the totals. */
const perSecond = (now: number, then: number, ms: number): string =>
  formatRate(((now - then) * 1000) / Math.max(1, ms));

/**
 * Live figures, charts from `/v1/stats/sales`, active promotions and coupon use, the latest orders, projection health
 * and stock running out.
 */
export const overviewView = (ctx: ViewContext, initialChannel = ''): View => {
  const controller = new AbortController();
  const { signal } = controller;
  /** '' for every channel; else the charts, the placed figure and the latest orders show this channel's orders */
  let channel = initialChannel;
  const channelChoice = channelSelect('overview-channel', channel);
  const allOrders = h('a', { href: '#/orders' }, 'All orders →');
  const showChannelLinks = (): void => {
    allOrders.setAttribute('href', channel === '' ? '#/orders' : `#/orders?${query({ channel })}`);
  };
  showChannelLinks();
  const updated = updatedLine();
  const latestShown = new LastShown();

  const perMinute = figure('orders-per-minute', 'Orders per minute');
  const placed = figure('orders-placed', 'Orders placed');
  const revenue = figure('revenue', 'Revenue');
  const confirmation = figure('confirmation-rate', 'Confirmation rate');
  const cancellation = figure('cancellation-rate', 'Cancellation rate');
  const refunds = figure('refunds', 'Refunds');
  const figuresError = h('div', {});

  const hourCard = chartCard('orders-by-hour', 'Orders by hour');
  const dayCard = chartCard('revenue-by-day', 'Revenue by day');
  const latest = h('div', {});
  const health = h('div', {});
  const flow = h('div', {});
  const flowCard = h(
    'section',
    { class: 'card', 'aria-labelledby': 'flow-title' },
    h('h2', { id: 'flow-title' }, 'Flow control'),
    flow,
  );
  const lowStock = h('div', {});
  const promotions = activePromotionsCard(ctx, signal);
  const coupons = couponUseCard(ctx, signal);

  setChildren(
    ctx.root,
    viewHeading(
      'Overview',
      h(
        'form',
        { class: 'filters inline', role: 'search', 'aria-label': 'Show one channel' },
        h('div', { class: 'field' }, h('label', { for: 'overview-channel' }, 'Channel'), channelChoice.element),
      ),
      updated,
    ),
    h(
      'section',
      { 'aria-labelledby': 'figures-title' },
      h('h2', { id: 'figures-title', class: 'visually-hidden' }, 'Live figures'),
      // polite: a screen reader finishes what it is saying before it reads a changed figure
      h(
        'dl',
        { class: 'figures', 'aria-live': 'polite' },
        perMinute.element,
        placed.element,
        revenue.element,
        confirmation.element,
        cancellation.element,
        refunds.element,
      ),
      figuresError,
    ),
    h('div', { class: 'grid two' }, hourCard.element, dayCard.element),
    h('div', { class: 'grid two' }, promotions.element, coupons.element),
    h(
      'div',
      { class: 'grid wide-narrow' },
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'latest-title' },
        h('div', { class: 'card-head' }, h('h2', { id: 'latest-title' }, 'Latest orders'), allOrders),
        latest,
      ),
      h(
        'div',
        { class: 'stack' },
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'health-title' },
          h('h2', { id: 'health-title' }, 'Projection health'),
          health,
        ),
        flowCard,
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'low-title' },
          h(
            'div',
            { class: 'card-head' },
            h('h2', { id: 'low-title' }, 'Low stock'),
            h('a', { href: '#/stock' }, 'All stock →'),
          ),
          lowStock,
        ),
      ),
    ),
  );

  let dayCurrency = 'EUR';
  const hourChart: BarChart = barChart(hourCard.canvas, (v) => formatCount(v));
  const dayChart: BarChart = barChart(dayCard.canvas, (v) => formatMajor(v, dayCurrency));

  const sales = async (window: Window, granularity: 'hour' | 'day'): Promise<SalesBucket[]> => {
    const answer = await ctx.api.get<SalesStats>(
      `stats/sales?${query({ from: window.from, to: window.to, granularity })}`,
      signal,
    );
    return filled(answer.body.buckets, window, granularity);
  };

  /** One channel's days: the value of the orders placed through it (captures and refunds are not split by channel). */
  const showChannelDays = (
    byDay: readonly SalesBucket[],
    labels: readonly string[],
    major: (minor: number) => number,
    alsoSold: string,
  ): void => {
    const valueOf = (b: SalesBucket): number => channelPart(b, channel).orderValue[dayCurrency] ?? 0;
    showSeries(
      dayChart,
      [...labels],
      [
        {
          label: `Order value through ${channel}`,
          color: palette.revenue,
          values: byDay.map((b) => major(valueOf(b))),
        },
      ],
    );
    dayCard.subtitle.textContent = `Last ${CHART_DAYS} days, UTC, in ${dayCurrency}${alsoSold} · value of the orders placed through ${channel}`;
    const total = byDay.reduce((sum, b) => sum + valueOf(b), 0);
    dayCard.canvas.setAttribute(
      'aria-label',
      `Order value by day through ${channel}, last ${CHART_DAYS} days: ${formatMoney({ amount: total, currency: dayCurrency })}`,
    );
    setChildren(
      dayCard.table,
      dataTable(
        [
          { label: 'Day (UTC)', cell: (b: SalesBucket) => utcDay.format(new Date(b.start)) },
          { label: 'Orders', numeric: true, cell: (b) => formatCount(channelPart(b, channel).ordersPlaced) },
          {
            label: 'Order value',
            numeric: true,
            cell: (b) =>
              moneyList(channelPart(b, channel).orderValue)
                .map((m) => formatMoney(m))
                .join(', ') || '—',
          },
        ],
        byDay,
        { caption: `Order value by day through ${channel}`, empty: 'No sales' },
      ),
    );
  };

  const loadSales = oneAtATime(async (): Promise<void> => {
    const now = ctx.now();
    const hours = hourWindow(now, 24);
    const days = dayWindow(now, CHART_DAYS);
    try {
      const [byHour, byDay] = await Promise.all([sales(hours, 'hour'), sales(days, 'day')]);
      channelChoice.refill(channelsIn([...byDay, ...byHour]));
      const sum = totals(byHour);
      const through = channel === '' ? '' : ` through ${channel}`;
      const placedHere = (b: SalesBucket): number =>
        channel === '' ? b.ordersPlaced : channelPart(b, channel).ordersPlaced;
      const unitsHere = byHour.reduce(
        (total, b) => total + (channel === '' ? b.unitsOrdered : channelPart(b, channel).unitsOrdered),
        0,
      );
      const placedTotal = byHour.reduce((total, b) => total + placedHere(b), 0);
      const [mainRevenue, ...otherRevenue] = moneyList(sum.revenue);
      const [mainRefunds, ...otherRefunds] = moneyList(sum.refunds);
      const currency = mainRevenue?.currency ?? mainRefunds?.currency ?? currencies(byDay)[0];
      const zero = currency === undefined ? '0' : formatMoney({ amount: 0, currency });
      const others = (list: readonly { amount: number; currency: string }[]): string =>
        list.length === 0 ? '' : ` · also ${list.map((m) => formatMoney(m)).join(', ')}`;

      show(
        placed,
        formatCount(placedTotal),
        `${through.trim()}${through === '' ? '' : ', '}last 24 hours · ${formatCount(unitsHere)} units`,
      );
      show(revenue, mainRevenue ? formatMoney(mainRevenue) : zero, `captured, last 24 hours${others(otherRevenue)}`);
      show(
        confirmation,
        formatPercent(sum.confirmed, sum.placed),
        `${formatCount(sum.confirmed)} of ${formatCount(sum.placed)} orders`,
      );
      show(
        cancellation,
        formatPercent(sum.cancelled, sum.placed),
        `${formatCount(sum.cancelled)} of ${formatCount(sum.placed)} orders`,
      );
      show(
        refunds,
        mainRefunds ? formatMoney(mainRefunds) : zero,
        `${formatCount(sum.refundCount)} ${sum.refundCount === 1 ? 'refund' : 'refunds'}${others(otherRefunds)}`,
      );
      setChildren(figuresError);

      const hourLabels = byHour.map((b) => utcHour.format(new Date(b.start)));
      // only placements name their channel: for one channel the chart shows what it placed
      showSeries(
        hourChart,
        hourLabels,
        channel === ''
          ? [
              { label: 'Placed', color: palette.placed, values: byHour.map((b) => b.ordersPlaced) },
              { label: 'Confirmed', color: palette.confirmed, values: byHour.map((b) => b.ordersConfirmed) },
              { label: 'Cancelled', color: palette.cancelled, values: byHour.map((b) => b.ordersCancelled) },
            ]
          : [{ label: `Placed${through}`, color: palette.placed, values: byHour.map(placedHere) }],
      );
      hourCard.subtitle.textContent =
        channel === '' ? 'Last 24 hours, UTC' : `Last 24 hours, UTC · orders placed${through}`;
      hourCard.canvas.setAttribute(
        'aria-label',
        channel === ''
          ? `Orders by hour, last 24 hours: ${sum.placed} placed, ${sum.confirmed} confirmed, ${sum.cancelled} cancelled`
          : `Orders by hour, last 24 hours: ${placedTotal} placed${through}`,
      );
      setChildren(
        hourCard.table,
        dataTable(
          channel === ''
            ? [
                { label: 'Hour (UTC)', cell: (b: SalesBucket) => utcHour.format(new Date(b.start)) },
                { label: 'Placed', numeric: true, cell: (b) => formatCount(b.ordersPlaced) },
                { label: 'Confirmed', numeric: true, cell: (b) => formatCount(b.ordersConfirmed) },
                { label: 'Cancelled', numeric: true, cell: (b) => formatCount(b.ordersCancelled) },
              ]
            : [
                { label: 'Hour (UTC)', cell: (b: SalesBucket) => utcHour.format(new Date(b.start)) },
                { label: `Placed${through}`, numeric: true, cell: (b) => formatCount(placedHere(b)) },
              ],
          byHour,
          { caption: 'Orders by hour', empty: 'No orders' },
        ),
      );

      dayCurrency = currencies(byDay)[0] ?? currency ?? 'EUR';
      const dayLabels = byDay.map((b) => utcDay.format(new Date(b.start)));
      const major = (minor: number): number => majorUnits({ amount: minor, currency: dayCurrency });
      const more = currencies(byDay).slice(1);
      const alsoSold = more.length > 0 ? ` (also sold in ${more.join(', ')})` : '';
      if (channel !== '') {
        showChannelDays(byDay, dayLabels, major, alsoSold);
        return;
      }
      showSeries(dayChart, dayLabels, [
        { label: 'Revenue', color: palette.revenue, values: byDay.map((b) => major(b.revenue[dayCurrency] ?? 0)) },
        { label: 'Refunds', color: palette.refunds, values: byDay.map((b) => major(b.refunds[dayCurrency] ?? 0)) },
      ]);
      dayCard.subtitle.textContent = `Last ${CHART_DAYS} days, UTC, in ${dayCurrency}${alsoSold}`;
      const dayTotals = totals(byDay);
      dayCard.canvas.setAttribute(
        'aria-label',
        `Revenue by day, last ${CHART_DAYS} days: ${formatMoney({ amount: dayTotals.revenue[dayCurrency] ?? 0, currency: dayCurrency })} revenue, ${formatMoney({ amount: dayTotals.refunds[dayCurrency] ?? 0, currency: dayCurrency })} refunded`,
      );
      setChildren(
        dayCard.table,
        dataTable(
          [
            { label: 'Day (UTC)', cell: (b: SalesBucket) => utcDay.format(new Date(b.start)) },
            { label: 'Orders', numeric: true, cell: (b) => formatCount(b.ordersPlaced) },
            {
              label: 'Revenue',
              cell: (b) =>
                moneyList(b.revenue)
                  .map((m) => formatMoney(m))
                  .join(', ') || '—',
              numeric: true,
            },
            {
              label: 'Refunds',
              cell: (b) =>
                moneyList(b.refunds)
                  .map((m) => formatMoney(m))
                  .join(', ') || '—',
              numeric: true,
            },
          ],
          byDay,
          { caption: 'Revenue by day', empty: 'No sales' },
        ),
      );
    } catch (error) {
      ctx.failed(error, figuresError);
    }
  });

  const loadRate = oneAtATime(async (): Promise<void> => {
    const now = ctx.now();
    const from = new Date(now - RATE_MINUTES * 60_000).toISOString();
    try {
      const answer = await ctx.api.get<Page<Order>>(`orders?${query({ from, limit: String(RATE_PAGE) })}`, signal);
      const count = answer.body.items.length;
      const more = answer.body.next !== undefined;
      show(
        perMinute,
        `${more ? '≥ ' : ''}${formatRate(count / RATE_MINUTES)}`,
        `last ${RATE_MINUTES} minutes · ${more ? 'over ' : ''}${formatCount(count)} ${count === 1 ? 'order' : 'orders'}`,
      );
    } catch (error) {
      ctx.failed(error, figuresError);
    }
  });

  const loadLatest = oneAtATime(async (): Promise<void> => {
    try {
      const answer = await ctx.api.get<Page<Order>>(
        `orders?${query({ limit: '8', ...(channel === '' ? {} : { channel }) })}`,
        signal,
      );
      if (!latestShown.changed(answer.body.items)) return;
      setChildren(
        latest,
        dataTable(orderColumns(true), answer.body.items, {
          caption: 'Latest orders',
          empty: 'No orders yet',
          rowLink: (o) => orderLink(o.orderId),
        }),
      );
    } catch (error) {
      latestShown.forget();
      ctx.failed(error, latest);
    }
  });

  const loadHealth = oneAtATime(async (): Promise<void> => {
    try {
      const answer = await ctx.api.get<Projections>('projections', signal);
      setChildren(
        health,
        h('p', { class: 'muted' }, `Event store head: position ${formatCount(answer.body.head)}`),
        dataTable(projectionColumns, answer.body.projections, {
          caption: 'Projection health',
          empty: 'No projections',
        }),
      );
    } catch (error) {
      ctx.failed(error, health);
    }
  });

  // readings of the last ten seconds: rates are taken over that span (at least a second), on the monotonic clock,
  // since the page's own clock may be fixed (tests) or jump
  let flowReadings: { readonly at: number; readonly status: FlowStatus }[] = [];
  const loadFlow = oneAtATime(async (): Promise<void> => {
    try {
      const answer = await ctx.api.get<FlowStatus>('flow', signal);
      const status = answer.body;
      const at = performance.now();
      flowReadings = [...flowReadings.filter((reading) => at - reading.at <= 10_000), { at, status }];
      const oldest = flowReadings[0];
      const previous = oldest !== undefined && at - oldest.at >= 1_000 ? oldest : undefined;
      const refusedNow = Object.values(status.refused).reduce((a, b) => a + b, 0);
      const refusedThen = previous ? Object.values(previous.status.refused).reduce((a, b) => a + b, 0) : 0;
      const byRule = Object.entries(status.refused).map(([rule, count]) => ({
        rule,
        count,
        rate: previous ? perSecond(count, previous.status.refused[rule] ?? 0, at - previous.at) : '—',
      }));
      setChildren(
        flow,
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, 'Admitted per second'),
          h(
            'dd',
            { 'data-flow': 'admitted' },
            previous ? perSecond(status.admitted, previous.status.admitted, at - previous.at) : '…',
          ),
          h('dt', {}, 'Refused per second'),
          h('dd', { 'data-flow': 'refused' }, previous ? perSecond(refusedNow, refusedThen, at - previous.at) : '…'),
          h('dt', {}, 'Backlog'),
          h(
            'dd',
            {},
            status.backlog === null
              ? '—'
              : `${formatCount(status.backlog)} events${status.lagMs === null || status.lagMs === 0 ? '' : `, ${formatCount(status.lagMs)} ms behind`}`,
          ),
          h('dt', {}, 'Payment provider breaker'),
          h('dd', { 'data-flow': 'breaker' }, breakerBadge(status.breaker)),
        ),
        dataTable(
          [
            { label: 'Refused by', cell: (r: (typeof byRule)[number]) => h('span', { class: 'mono' }, r.rule) },
            { label: 'Total', numeric: true, cell: (r) => formatCount(r.count) },
            { label: 'Per second', numeric: true, cell: (r) => r.rate },
          ],
          byRule,
          { caption: 'Refusals by rule since the server started', empty: 'Nothing refused' },
        ),
      );
    } catch (error) {
      // a server with flow control off has no /v1/flow: the card goes, the rest of the overview stays
      if (error instanceof ApiError && error.status === 404) {
        flowCard.hidden = true;
        return;
      }
      ctx.failed(error, flow);
    }
  });

  const loadLowStock = oneAtATime(async (): Promise<void> => {
    try {
      const answer = await ctx.api.get<Page<Sku>>('skus?lowStock=true&limit=6', signal);
      setChildren(
        lowStock,
        answer.body.items.length === 0
          ? note('Every SKU has enough stock.')
          : dataTable(lowStockColumns, answer.body.items, {
              caption: 'SKUs running low',
              empty: '',
              rowClass: () => 'low',
            }),
      );
    } catch (error) {
      ctx.failed(error, lowStock);
    }
  });

  // the choice lives in the hash (`#/?channel=pos`), so a filtered overview can be shared
  channelChoice.element.addEventListener('change', () => {
    channel = channelChoice.element.value;
    history.replaceState(null, '', channel === '' ? '#/' : `#/?${query({ channel })}`);
    showChannelLinks();
    latestShown.forget();
    void loadSales();
    void loadLatest();
  });

  return {
    title: 'Overview',
    async refresh(changed: Changed) {
      await Promise.all([
        affects(changed, 'sales') ? loadSales() : undefined,
        affects(changed, 'orders') ? loadRate() : undefined,
        affects(changed, 'orders') ? loadLatest() : undefined,
        loadHealth(),
        loadFlow(),
        affects(changed, 'skus') ? loadLowStock() : undefined,
        affects(changed, 'promotions') ? promotions.load() : undefined,
        affects(changed, 'coupons') ? coupons.load() : undefined,
      ]);
      if (!signal.aborted) markUpdated(updated, ctx.now());
    },
    dispose() {
      controller.abort();
      hourChart.destroy();
      dayChart.destroy();
    },
  };
};
