/// <reference lib="dom" />
// The line above lets the root tsconfig (Node libs only) type-check this browser module too.
import { ApiError } from '../api';
import { badge, dataTable, h, note, setChildren, type Child } from '../dom';
import { formatCount, formatDateTime, formatMoney, humanize } from '../format';
import type { Money, Order, Payment, SagaView, TimelineEntry } from '../types';
import { affects, type Changed, type View, type ViewContext } from '../view';
import { markUpdated, oneAtATime, orderStatus, updatedLine } from './common';

const money = (m: Money | undefined): string => (m === undefined ? '—' : formatMoney(m));

/** `label: value` pairs; pairs without a value are left out. */
const summary = (pairs: readonly (readonly [string, Child | readonly Child[]] | false)[]): HTMLElement =>
  h(
    'dl',
    { class: 'summary' },
    ...pairs.flatMap((pair) => (pair === false ? [] : [h('div', {}, h('dt', {}, pair[0]), h('dd', {}, pair[1]))])),
  );

/** Which centre wrote an entry, from its stream id (`order-…`, `payment-…`, `sku-…`, `saga-…`). */
const streamKind = (streamId: string): { readonly label: string; readonly tone: string } => {
  if (streamId.startsWith('order-')) return { label: 'Order', tone: 'blue' };
  if (streamId.startsWith('payment-')) return { label: 'Payment', tone: 'violet' };
  if (streamId.startsWith('sku-')) return { label: 'Stock', tone: 'teal' };
  if (streamId.startsWith('saga-')) return { label: 'Saga', tone: 'amber' };
  return { label: 'Event', tone: 'grey' };
};

/** Done well, given up, or still working (amber): the word is on the badge too. */
const sagaTone = (status: string): string =>
  status === 'Confirmed' || status === 'Completed'
    ? 'green'
    : status === 'Cancelled' || status === 'Failed' || status === 'Compensating'
      ? 'red'
      : 'amber';

/** The saga state, wherever the server puts it: an embedded `saga` object or top-level fields. */
const sagaOf = (order: Order): SagaView | undefined => {
  if (typeof order.saga === 'object' && order.saga !== null) return order.saga;
  const top: SagaView = {
    ...(typeof order.saga === 'string' ? { saga: order.saga } : {}),
    ...(order.sagaStatus === undefined ? {} : { sagaStatus: order.sagaStatus }),
    ...(order.step === undefined ? {} : { step: order.step }),
    ...(order.lastError === undefined ? {} : { lastError: order.lastError }),
  };
  return Object.keys(top).length > 0 ? top : undefined;
};

/**
 * The command each event type is the outcome of, and who sends that command: the command API for what clients
 * ask, the sagas for the steps that carry an order across the centres.
 */
const causes: Readonly<Record<string, readonly [command: string, sender: string]>> = {
  OrderPlaced: ['PlaceOrder', 'command API'],
  OrderShipped: ['ShipOrder', 'command API'],
  RefundRequested: ['RequestRefund', 'command API'],
  OrderCancelled: ['CancelOrder', 'command API or saga'],
  OrderConfirmed: ['ConfirmOrder', 'saga'],
  RefundCompleted: ['CompleteRefund', 'saga'],
  RefundFailed: ['FailRefund', 'saga'],
  StockReserved: ['ReserveStock', 'saga'],
  ReservationReleased: ['ReleaseReservation', 'saga'],
  ReservationCommitted: ['CommitReservation', 'saga'],
  ReservationExpired: ['ExpireReservation', 'saga'],
  StockRestocked: ['RestockSku', 'saga'],
  PaymentAuthorized: ['AuthorizePayment', 'saga'],
  PaymentDeclined: ['AuthorizePayment', 'saga'],
  PaymentAuthorizationFailed: ['AuthorizePayment', 'saga'],
  PaymentCaptured: ['CapturePayment', 'saga'],
  PaymentVoided: ['VoidPayment', 'saga'],
  PaymentRefunded: ['RefundPayment', 'saga'],
  PaymentRefundFailed: ['RefundPayment', 'saga'],
};

const timelineItem = (entry: TimelineEntry): HTMLElement => {
  const kind = streamKind(entry.streamId);
  const cause = causes[entry.type];
  return h(
    'li',
    { class: `step ${kind.tone}` },
    h(
      'div',
      { class: 'step-head' },
      badge(kind.label, kind.tone),
      h('strong', {}, humanize(entry.type)),
      h('time', { datetime: entry.at }, formatDateTime(entry.at)),
    ),
    h('p', {}, entry.summary),
    h(
      'p',
      { class: 'muted small' },
      cause === undefined ? null : ['from ', h('span', { class: 'mono' }, cause[0]), ` (${cause[1]}) · `],
      'position ',
      h('span', { class: 'mono' }, String(entry.position)),
      ' · stream ',
      h('span', { class: 'mono' }, entry.streamId),
    ),
  );
};

/** One order: amounts, lines, payment, saga state and its timeline from the command's events to the read model. */
export const orderView = (ctx: ViewContext, orderId: string): View => {
  const controller = new AbortController();
  const { signal } = controller;
  const updated = updatedLine();
  const heading = h('h1', { tabindex: -1 }, `Order ${orderId}`);
  const status = h('span', {});
  const body = h('div', { class: 'order' });
  const paymentBox = h('div', {});

  setChildren(
    ctx.root,
    h(
      'nav',
      { 'aria-label': 'Breadcrumb', class: 'breadcrumb' },
      h('a', { href: '#/orders' }, 'Orders'),
      ' / ',
      h('span', { class: 'mono' }, orderId),
    ),
    h('div', { class: 'view-head' }, h('div', { class: 'title-row' }, heading, status), updated),
    body,
  );

  const loadPayment = async (): Promise<void> => {
    try {
      const answer = await ctx.api.get<Payment>(`payments/${encodeURIComponent(orderId)}`, signal);
      const p = answer.body;
      setChildren(
        paymentBox,
        summary([
          ['Status', badge(humanize(p.status), p.status === 'Declined' || p.status === 'Voided' ? 'red' : 'green')],
          ['Authorized', money(p.authorized)],
          ['Captured', money(p.captured)],
          ['Refunded', money(p.refunded)],
          p.failedAttempts > 0 && ['Failed attempts', formatCount(p.failedAttempts)],
          p.declineCode !== undefined && ['Decline code', h('span', { class: 'mono' }, p.declineCode)],
          p.lastError !== undefined && ['Last provider error', p.lastError],
        ]),
        p.refunds.length === 0
          ? null
          : dataTable(
              [
                { label: 'Refund', cell: (r: Payment['refunds'][number]) => h('span', { class: 'mono' }, r.refundId) },
                { label: 'Amount', numeric: true, cell: (r) => money(r.amount) },
                { label: 'Status', cell: (r) => humanize(r.status) },
              ],
              p.refunds,
              { caption: 'Payment refunds', empty: '' },
            ),
      );
    } catch (error) {
      if (error instanceof ApiError && error.status === 404)
        setChildren(paymentBox, note('No payment recorded for this order yet.'));
      else ctx.failed(error, paymentBox);
    }
  };

  const render = (order: Order, projectionPosition: string | null): void => {
    setChildren(status, orderStatus(order.status));
    const saga = sagaOf(order);
    const refunds = order.refunds ?? [];
    setChildren(
      body,
      h(
        'div',
        { class: 'grid two' },
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'summary-title' },
          h('h2', { id: 'summary-title' }, 'Summary'),
          summary([
            ['Customer', order.customerId ?? '—'],
            ['Placed', formatDateTime(order.placedAt)],
            ['Total', money(order.total)],
            ['Paid', money(order.paid)],
            ['Refunded', money(order.refunded)],
            order.refundsPending !== undefined &&
              order.refundsPending.amount > 0 && ['Refunds pending', money(order.refundsPending)],
            order.confirmedAt !== undefined && ['Confirmed', formatDateTime(order.confirmedAt)],
            order.shippedAt !== undefined && ['Shipped', formatDateTime(order.shippedAt)],
            order.cancelledAt !== undefined && ['Cancelled', formatDateTime(order.cancelledAt)],
            order.cancelReason !== undefined && ['Cancel reason', order.cancelReason],
            ['Last change', formatDateTime(order.updatedAt)],
          ]),
        ),
        h(
          'div',
          { class: 'stack' },
          h(
            'section',
            { class: 'card', 'aria-labelledby': 'payment-title' },
            h('h2', { id: 'payment-title' }, 'Payment'),
            paymentBox,
          ),
          saga === undefined
            ? null
            : h(
                'section',
                { class: 'card', 'aria-labelledby': 'saga-title' },
                h('h2', { id: 'saga-title' }, 'Saga'),
                summary([
                  saga.saga !== undefined && ['Saga', saga.saga],
                  saga.sagaStatus !== undefined && [
                    'Status',
                    badge(humanize(saga.sagaStatus), sagaTone(saga.sagaStatus)),
                  ],
                  saga.step !== undefined && ['Step', saga.step],
                  saga.lastError !== undefined &&
                    saga.lastError !== null && ['Last error', h('span', { class: 'error-text' }, saga.lastError)],
                  saga.deadlines !== undefined &&
                    saga.deadlines.length > 0 && [
                      'Deadlines',
                      h(
                        'ul',
                        { class: 'plain' },
                        ...saga.deadlines.map((d) => h('li', {}, `${humanize(d.kind)} at ${formatDateTime(d.dueAt)}`)),
                      ),
                    ],
                ]),
              ),
        ),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'lines-title' },
        h('h2', { id: 'lines-title' }, 'Lines'),
        dataTable(
          [
            { label: 'SKU', cell: (l: NonNullable<Order['lines']>[number]) => h('span', { class: 'mono' }, l.sku) },
            { label: 'Quantity', numeric: true, cell: (l) => formatCount(l.quantity) },
            { label: 'Unit price', numeric: true, cell: (l) => money(l.unitPrice) },
            { label: 'Line total', numeric: true, cell: (l) => money(l.lineTotal) },
            {
              label: 'Refunded units',
              numeric: true,
              cell: (l) => (l.refundedQuantity > 0 ? formatCount(l.refundedQuantity) : '—'),
            },
          ],
          order.lines ?? [],
          { caption: 'Order lines', empty: 'The order itself has not been projected yet.' },
        ),
      ),
      refunds.length === 0
        ? null
        : h(
            'section',
            { class: 'card', 'aria-labelledby': 'refunds-title' },
            h('h2', { id: 'refunds-title' }, 'Refunds'),
            dataTable(
              [
                { label: 'Refund', cell: (r: (typeof refunds)[number]) => h('span', { class: 'mono' }, r.refundId) },
                { label: 'Requested', cell: (r) => formatDateTime(r.requestedAt) },
                { label: 'Amount', numeric: true, cell: (r) => money(r.amount) },
                { label: 'Status', cell: (r) => humanize(r.status) },
                { label: 'Reason', cell: (r) => r.failureReason ?? r.reason },
              ],
              refunds,
              { caption: 'Refunds', empty: '' },
            ),
          ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'timeline-title' },
        h('h2', { id: 'timeline-title' }, 'Timeline'),
        h(
          'p',
          { class: 'muted' },
          'The commands that changed this order, their events on the order, payment and stock streams, in store order, and where the read model is.',
        ),
        h(
          'ol',
          { class: 'timeline', 'aria-labelledby': 'timeline-title' },
          ...order.timeline.map(timelineItem),
          h(
            'li',
            { class: 'step grey' },
            h('div', { class: 'step-head' }, badge('Read model', 'grey'), h('strong', {}, 'Projected')),
            h(
              'p',
              {},
              projectionPosition === null
                ? 'The orders read model has applied these events.'
                : `The orders read model is at position ${projectionPosition}; every event above is in this page.`,
            ),
          ),
        ),
      ),
    );
  };

  const load = oneAtATime(async (): Promise<void> => {
    try {
      const answer = await ctx.api.get<Order>(`orders/${encodeURIComponent(orderId)}`, signal);
      render(answer.body, answer.headers.get('X-Projection-Position'));
      await loadPayment();
      markUpdated(updated, ctx.now());
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        setChildren(status);
        setChildren(
          body,
          note(`No order ${orderId} in the read model (yet). It appears here as soon as it is projected.`, 'warn'),
        );
      } else ctx.failed(error, body);
    }
  });

  return {
    title: `Order ${orderId}`,
    async refresh(changed: Changed) {
      if (affects(changed, 'orders', 'payments', 'order-sagas')) await load();
    },
    dispose() {
      controller.abort();
    },
  };
};
