import type { Money, OrderId, Reason } from '../shared';

/** What happened to one refund id: refunded once, or only failed attempts so far (it may be retried). */
export type RefundRecord =
  | {
      readonly status: 'refunded';
      readonly amount: Money;
      readonly providerRefundId: string;
      readonly failedAttempts: number;
    }
  | { readonly status: 'failed'; readonly amount: Money; readonly failedAttempts: number };

interface Started {
  readonly orderId: OrderId;
  /** amount of the first authorization attempt; every retry must ask for the same */
  readonly requested: Money;
  /** provider errors seen while authorizing */
  readonly failedAttempts: number;
}

interface Settled extends Started {
  readonly authorized: Money;
  readonly authorizationId: string;
  /** single capture: anything authorized above it was released */
  readonly captured: Money;
  /** sum of the successful refunds */
  readonly refunded: Money;
  readonly refunds: Readonly<Record<string, RefundRecord>>;
}

export interface NoPayment {
  readonly status: 'None';
}
/** Only provider errors so far: no money is held, the authorization may be retried. */
export interface PendingPayment extends Started {
  readonly status: 'Pending';
}
export interface DeclinedPayment extends Started {
  readonly status: 'Declined';
  readonly declineCode: string;
}
export interface AuthorizedPayment extends Started {
  readonly status: 'Authorized';
  readonly authorized: Money;
  readonly authorizationId: string;
}
export interface VoidedPayment extends Started {
  readonly status: 'Voided';
  /** null when the payment was voided before any authorization succeeded */
  readonly authorized: Money | null;
  readonly authorizationId: string | null;
  readonly reason: Reason;
}
export interface CapturedPayment extends Settled {
  readonly status: 'Captured';
}
export interface PartiallyRefundedPayment extends Settled {
  readonly status: 'PartiallyRefunded';
}
export interface RefundedPayment extends Settled {
  readonly status: 'Refunded';
}

export type PaymentState =
  | NoPayment
  | PendingPayment
  | DeclinedPayment
  | AuthorizedPayment
  | VoidedPayment
  | CapturedPayment
  | PartiallyRefundedPayment
  | RefundedPayment;

export type SettledPayment = CapturedPayment | PartiallyRefundedPayment | RefundedPayment;
