import type { PaymentEvent } from '../../domain/payment';
import { defineProjection, type EventOfType, type On, type Projection } from '../projection';

/** Money in a read model: integer minor units and an ISO currency, as plain JSON (no brands to re-validate). */
export interface MoneyView {
  readonly amount: number;
  readonly currency: string;
}

/** Mirror of the payment aggregate's status; a payment document exists from its first event, so no 'None'. */
export type PaymentStatus =
  'Pending' | 'Authorized' | 'Declined' | 'Voided' | 'Captured' | 'PartiallyRefunded' | 'Refunded';

/**
 * ISO 4217's code for "no currency". Only a payment whose first projected event carries no amount (a void, which
 * the aggregate never emits first) gets it, so `evolve` stays total without nullable money fields.
 */
export const NO_CURRENCY = 'XXX';

/** What the payment of one order looks like now; the orders read model embeds exactly this. */
export type PaymentSummary = {
  readonly status: PaymentStatus;
  readonly currency: string;
  /** zero until an authorization succeeded */
  readonly authorized: MoneyView;
  /** zero until captured */
  readonly captured: MoneyView;
  /** sum of successful refunds */
  readonly refunded: MoneyView;
  /** provider errors while authorizing (the attempt number of the latest one) */
  readonly failedAttempts: number;
  readonly declineCode?: string;
  /** the latest provider error (authorization or refund); kept after a later success as a hint for operators */
  readonly lastError?: string;
  /** 'cash': collected on delivery (cash on delivery); absent: through the provider */
  readonly method?: 'cash';
};

export interface PaymentRefundView {
  readonly refundId: string;
  readonly amount: MoneyView;
  readonly status: 'Refunded' | 'Failed';
  /** provider message of the latest failed attempt */
  readonly message?: string;
}

/** `payments` read model: one document per order (id = orderId). A type alias (not an
 * interface) so it is assignable to the store's JSON body type. */
export type PaymentDoc = PaymentSummary & {
  readonly orderId: string;
  /** in order of first appearance */
  readonly refunds: readonly PaymentRefundView[];
  readonly updatedAt: string;
};

const amount = (value: number, currency: string): MoneyView => ({ amount: value, currency });

const currencyOf = (event: PaymentEvent): string =>
  event.type === 'PaymentVoided' ? NO_CURRENCY : event.amount.currency;

/** The state before any event: an authorization has been asked for, nothing held yet. */
const emptySummary = (currency: string): PaymentSummary => ({
  status: 'Pending',
  currency,
  authorized: amount(0, currency),
  captured: amount(0, currency),
  refunded: amount(0, currency),
  failedAttempts: 0,
});

const isSettled = (status: PaymentStatus): boolean =>
  status === 'Captured' || status === 'PartiallyRefunded' || status === 'Refunded';

/** A pre-sale's balance on a payment whose deposit was captured; the summary shows both charges together. */
const evolveBalance = (summary: PaymentSummary, event: PaymentEvent): PaymentSummary => {
  if (!isSettled(summary.status)) return summary;
  const plus = (a: MoneyView, b: MoneyView): MoneyView => amount(a.amount + b.amount, a.currency);
  switch (event.type) {
    case 'PaymentAuthorized':
      return { ...summary, authorized: plus(summary.authorized, event.amount) };
    case 'PaymentDeclined':
      return { ...summary, declineCode: event.declineCode };
    case 'PaymentAuthorizationFailed':
      return { ...summary, lastError: event.message };
    case 'PaymentCaptured': {
      if (event.amount.currency !== summary.captured.currency) return summary;
      const captured = plus(summary.captured, event.amount);
      const status = summary.refunded.amount === 0 ? 'Captured' : 'PartiallyRefunded';
      return { ...summary, status, captured };
    }
    // a voided balance leaves the captured deposit as it was; refunds and cash are not charges
    case 'PaymentVoided':
    case 'PaymentRefunded':
    case 'PaymentRefundFailed':
    case 'CashCollected':
      return summary;
    default: {
      const _exhaustive: never = event;
      return summary;
    }
  }
};

/**
 * One step of the payment summary, with the aggregate's own guards: an event that does not fit the status (which
 * the aggregate never records) leaves the summary unchanged.
 */
export const evolvePaymentSummary = (previous: PaymentSummary | null, event: PaymentEvent): PaymentSummary => {
  const summary = previous ?? emptySummary(currencyOf(event));
  // a pre-sale's balance is a second charge on a settled payment: its amounts add to the deposit's
  if (event.type !== 'PaymentRefunded' && event.type !== 'PaymentRefundFailed' && event.type !== 'CashCollected') {
    if (event.part === 'balance') return evolveBalance(summary, event);
  }
  switch (event.type) {
    case 'PaymentAuthorizationFailed':
      return summary.status === 'Pending'
        ? { ...summary, failedAttempts: event.attempt, lastError: event.message }
        : summary;
    case 'PaymentAuthorized':
      return summary.status === 'Pending' ? { ...summary, status: 'Authorized', authorized: event.amount } : summary;
    case 'PaymentDeclined':
      return summary.status === 'Pending'
        ? { ...summary, status: 'Declined', declineCode: event.declineCode }
        : summary;
    case 'PaymentVoided':
      return summary.status === 'Pending' || summary.status === 'Authorized'
        ? { ...summary, status: 'Voided' }
        : summary;
    case 'PaymentCaptured':
      return summary.status === 'Authorized' &&
        event.amount.currency === summary.authorized.currency &&
        event.amount.amount <= summary.authorized.amount
        ? { ...summary, status: 'Captured', captured: event.amount, refunded: amount(0, event.amount.currency) }
        : summary;
    case 'PaymentRefunded': {
      const refunded = summary.refunded.amount + event.amount.amount;
      if (
        (summary.status !== 'Captured' && summary.status !== 'PartiallyRefunded') ||
        event.amount.currency !== summary.captured.currency ||
        refunded > summary.captured.amount
      ) {
        return summary;
      }
      // only the full captured amount closes the payment, as in the aggregate
      const status = refunded >= summary.captured.amount ? 'Refunded' : 'PartiallyRefunded';
      return { ...summary, status, refunded: amount(refunded, summary.captured.currency) };
    }
    case 'PaymentRefundFailed':
      return isSettled(summary.status) ? { ...summary, lastError: event.message } : summary;
    case 'CashCollected':
      return summary.status === 'Pending' && summary.authorized.amount === 0
        ? {
            ...summary,
            status: 'Captured',
            method: 'cash',
            currency: event.amount.currency,
            authorized: event.amount,
            captured: event.amount,
            refunded: amount(0, event.amount.currency),
          }
        : summary;
    default: {
      const _exhaustive: never = event;
      return summary;
    }
  }
};

const laterOf = (a: string, b: string): string => {
  const [ta, tb] = [Date.parse(a), Date.parse(b)];
  return tb > ta || (tb === ta && b > a) ? b : a;
};

const withRefund = (refunds: readonly PaymentRefundView[], view: PaymentRefundView): readonly PaymentRefundView[] =>
  refunds.some((r) => r.refundId === view.refundId)
    ? refunds.map((r) => (r.refundId === view.refundId ? view : r))
    : [...refunds, view];

const summaryOf = (doc: PaymentDoc): PaymentSummary => {
  const { orderId: _orderId, refunds: _refunds, updatedAt: _updatedAt, ...summary } = doc;
  return summary;
};

const emptyDoc = (id: string, currency: string, at: string): PaymentDoc => ({
  ...emptySummary(currency),
  orderId: id,
  refunds: [],
  updatedAt: at,
});

/**
 * Every payment event changes the document of its order, through the summary's guards; `refunds` is how the event
 * changes the refund list (most leave it as it is).
 */
const onPayment = <Ev extends PaymentEvent>(
  refunds: (refunds: readonly PaymentRefundView[], event: Ev) => readonly PaymentRefundView[] = (same) => same,
): On<PaymentDoc, Ev> => ({
  ids: (e) => [e.event.orderId],
  evolve: (doc, { event }, id) => {
    const base = doc ?? emptyDoc(id, currencyOf(event), event.at);
    const before = summaryOf(base);
    const after = evolvePaymentSummary(before, event);
    // the summary answers the very object it was given when the aggregate's guards reject the event
    if (after === before) return base;
    return {
      ...after,
      orderId: id,
      refunds: refunds(base.refunds, event),
      updatedAt: laterOf(base.updatedAt, event.at),
    };
  },
});

/** A refund id paid out once stays paid out: a later failure or second payout for it is not a fact of this payment. */
const paidOut = (doc: PaymentDoc | null, refundId: string): doc is PaymentDoc =>
  doc !== null && doc.refunds.some((r) => r.refundId === refundId && r.status === 'Refunded');

/** A refund's outcome, listed under its refund id. */
const onRefundOutcome = <Ev extends EventOfType<'PaymentRefunded' | 'PaymentRefundFailed'>>(
  view: (event: Ev) => PaymentRefundView,
): On<PaymentDoc, Ev> => {
  const outcome = onPayment<Ev>((refunds, event) => withRefund(refunds, view(event)));
  return {
    ids: outcome.ids,
    evolve: (doc, e, id) => (paidOut(doc, e.event.refundId) ? doc : outcome.evolve(doc, e, id)),
  };
};

export const paymentsProjection: Projection<PaymentDoc> = defineProjection<PaymentDoc>({
  name: 'payments',
  version: 1,
  indexes: ['status'],
  on: {
    PaymentAuthorized: onPayment(),
    PaymentDeclined: onPayment(),
    PaymentAuthorizationFailed: onPayment(),
    PaymentCaptured: onPayment(),
    PaymentVoided: onPayment(),
    PaymentRefunded: onRefundOutcome((event) => ({
      refundId: event.refundId,
      amount: event.amount,
      status: 'Refunded',
    })),
    CashCollected: onPayment(),
    PaymentRefundFailed: onRefundOutcome((event) => ({
      refundId: event.refundId,
      amount: event.amount,
      status: 'Failed',
      message: event.message,
    })),
  },
});
