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

/**
 * A pre-sale's balance: the second authorization and capture on a payment whose first charge (the deposit) was
 * captured. A declined balance may be tried again (the customer pays with another card while the window is open).
 */
export type BalanceCharge =
  | { readonly status: 'Pending'; readonly requested: Money; readonly failedAttempts: number }
  | {
      readonly status: 'Declined';
      readonly requested: Money;
      readonly failedAttempts: number;
      readonly declineCode: string;
    }
  | {
      readonly status: 'Authorized';
      readonly requested: Money;
      readonly failedAttempts: number;
      readonly authorized: Money;
      readonly authorizationId: string;
    }
  | {
      readonly status: 'Captured';
      readonly requested: Money;
      readonly failedAttempts: number;
      readonly authorized: Money;
      readonly authorizationId: string;
      readonly captured: Money;
    }
  | {
      readonly status: 'Voided';
      readonly requested: Money;
      readonly failedAttempts: number;
      readonly authorizationId: string | null;
      readonly reason: Reason;
    };

interface Started {
  readonly orderId: OrderId;
  /** 'deposit': the first charge is a pre-sale's deposit, a balance may follow (absent: a single charge) */
  readonly part?: 'deposit';
  /** amount of the first authorization attempt; every retry must ask for the same */
  readonly requested: Money;
  /** provider errors seen while authorizing */
  readonly failedAttempts: number;
}

interface Settled extends Started {
  readonly authorized: Money;
  readonly authorizationId: string;
  /** what was captured: the single capture (anything authorized above it was released), or deposit + balance */
  readonly captured: Money;
  /** sum of the successful refunds */
  readonly refunded: Money;
  readonly refunds: Readonly<Record<string, RefundRecord>>;
  /** a pre-sale's balance, once asked for (only on a deposit) */
  readonly balance?: BalanceCharge;
  /** 'cash': collected on delivery, refunded in cash; no provider holds anything (absent: the provider's) */
  readonly method?: 'cash';
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
