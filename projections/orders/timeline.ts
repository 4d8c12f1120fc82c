import type { OrderEvent } from '../../domain/order';
import type { PaymentEvent } from '../../domain/payment';
import type { EventOfType, Projected } from '../projection';

/** Stock events that name an order: its reservations, and restocks of goods it returned. */
export type OrderStockEvent = EventOfType<
  'StockRestocked' | 'StockReserved' | 'ReservationReleased' | 'ReservationCommitted' | 'ReservationExpired'
>;

/** What an order's timeline shows: its own events, its payment's, and stock events that name it. */
export type TimelineEvent = OrderEvent | PaymentEvent | OrderStockEvent;

/** The timeline keeps this many entries, the latest by store position. */
export const TIMELINE_LIMIT = 100;

const SUMMARY_LIMIT = 160;

export interface TimelineEntry {
  readonly at: string;
  /** domain event type, e.g. `OrderPlaced` */
  readonly type: string;
  readonly position: number;
  readonly streamId: string;
  /** short human text */
  readonly summary: string;
}

/** Minor units per major unit, for the few ISO currencies that do not use two decimals. */
const zeroDecimal = new Set([
  'BIF',
  'CLP',
  'DJF',
  'GNF',
  'ISK',
  'JPY',
  'KMF',
  'KRW',
  'PYG',
  'RWF',
  'UGX',
  'VND',
  'VUV',
  'XAF',
  'XOF',
  'XPF',
]);
const threeDecimal = new Set(['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND']);

/** `25.00 EUR`; written by hand rather than with Intl so the text never depends on the runtime's locale data. */
export const formatMoney = (money: { readonly amount: number; readonly currency: string }): string => {
  const decimals = zeroDecimal.has(money.currency) ? 0 : threeDecimal.has(money.currency) ? 3 : 2;
  if (decimals === 0) return `${money.amount} ${money.currency}`;
  const digits = String(money.amount).padStart(decimals + 1, '0');
  return `${digits.slice(0, -decimals)}.${digits.slice(-decimals)} ${money.currency}`;
};

const units = (n: number): string => (n === 1 ? '1 unit' : `${n} units`);

/** A pre-sale's two charges are named as such; a standard order's single charge is the payment. */
const chargeOf = (part: 'deposit' | 'balance' | undefined): string =>
  part === 'deposit' ? 'Deposit' : part === 'balance' ? 'Balance' : 'Payment';

const describe = (event: TimelineEvent): string => {
  switch (event.type) {
    case 'OrderPlaced': {
      const count = event.lines.reduce((sum, line) => sum + line.quantity, 0);
      const lines = event.lines.length === 1 ? '1 line' : `${event.lines.length} lines`;
      return `Placed by ${event.customerId}: ${units(count)} on ${lines}, ${formatMoney(event.total)}`;
    }
    case 'OrderConfirmed':
      return `Confirmed, ${formatMoney(event.paid)} paid`;
    case 'OrderShipped':
      return 'Shipped';
    case 'ShipmentsPlanned':
      return `Split into ${event.shipments.length} shipments: ${event.shipments.map((s) => s.warehouse).join(', ')}`;
    case 'ShipmentShipped':
      return `Shipment from ${event.warehouse} shipped`;
    case 'OrderCancelled':
      return `Cancelled: ${event.reason}`;
    case 'RefundRequested':
      return `Refund ${event.refundId} of ${formatMoney(event.amount)} requested: ${event.reason}`;
    case 'RefundCompleted':
      return `Refund ${event.refundId} of ${formatMoney(event.amount)} completed`;
    case 'RefundFailed':
      return `Refund ${event.refundId} failed: ${event.reason}`;
    case 'DepositPaid':
      return `Deposit of ${formatMoney(event.amount)} paid, awaiting the balance`;
    case 'BalanceRequested':
      return `Balance of ${formatMoney(event.amount)} requested (attempt ${event.attempt})`;
    case 'OrderDelivered':
      return `Delivered, ${formatMoney(event.collected)} collected in cash`;
    case 'DeliveryRefused':
      return `Delivery refused: ${event.reason}`;
    case 'PaymentAuthorized':
      return `${chargeOf(event.part)} of ${formatMoney(event.amount)} authorized`;
    case 'PaymentDeclined':
      return `${chargeOf(event.part)} of ${formatMoney(event.amount)} declined (${event.declineCode})`;
    case 'PaymentAuthorizationFailed':
      return `Payment authorization attempt ${event.attempt} failed: ${event.message}`;
    case 'PaymentCaptured':
      return `${chargeOf(event.part)} of ${formatMoney(event.amount)} captured`;
    case 'CashCollected':
      return `Cash of ${formatMoney(event.amount)} collected on delivery`;
    case 'PaymentVoided':
      return `Payment voided: ${event.reason}`;
    case 'PaymentRefunded':
      return `Refund ${event.refundId} of ${formatMoney(event.amount)} paid out`;
    case 'PaymentRefundFailed':
      return `Refund ${event.refundId} payout attempt ${event.attempt} failed: ${event.message}`;
    case 'StockReserved':
      return `Reserved ${units(event.quantity)} of ${event.sku}`;
    case 'ReservationReleased':
      return `Released ${units(event.quantity)} of ${event.sku}: ${event.reason}`;
    case 'ReservationCommitted':
      return `Committed ${units(event.quantity)} of ${event.sku}`;
    case 'ReservationExpired':
      return `Reservation of ${units(event.quantity)} of ${event.sku} expired`;
    case 'StockRestocked':
      return `Restocked ${units(event.quantity)} of ${event.sku}`;
    default: {
      const _exhaustive: never = event;
      return 'Event';
    }
  }
};

/** Reasons and provider messages are free text up to 500 characters; a timeline line stays short. */
const shorten = (text: string): string =>
  text.length <= SUMMARY_LIMIT ? text : `${text.slice(0, SUMMARY_LIMIT - 1)}…`;

export const timelineEntry = (e: Projected<TimelineEvent>): TimelineEntry => ({
  at: e.event.at,
  type: e.event.type,
  position: e.position,
  streamId: e.streamId,
  summary: shorten(describe(e.event)),
});

/**
 * Adds an entry in store-position order and keeps the latest TIMELINE_LIMIT. Sorting (rather than appending)
 * makes the result independent of the order in which the order's, payment's and SKUs' streams arrive; an entry
 * already present (same stream and position) is replaced, so a replayed event adds nothing.
 */
export const addToTimeline = (timeline: readonly TimelineEntry[], entry: TimelineEntry): readonly TimelineEntry[] => {
  const others = timeline.filter((t) => !(t.position === entry.position && t.streamId === entry.streamId));
  const index = others.findIndex(
    (t) => t.position > entry.position || (t.position === entry.position && t.streamId > entry.streamId),
  );
  const merged = index === -1 ? [...others, entry] : [...others.slice(0, index), entry, ...others.slice(index)];
  return merged.length > TIMELINE_LIMIT ? merged.slice(merged.length - TIMELINE_LIMIT) : merged;
};
