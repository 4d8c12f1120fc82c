import {
  paymentToken,
  type BalanceRequested,
  type DeliveryRefused,
  type OrderDelivered,
  type OrderPlaced,
  type OrderTerms,
} from '../../domain/order';
import type {
  PaymentAuthorizationFailed,
  PaymentAuthorized,
  PaymentCaptured,
  PaymentDeclined,
  PaymentRefunded,
} from '../../domain/payment';
import { cancellationRefundId, fulfilmentCommandIds, plusMs, type OutgoingCommand } from '../../domain/sagas';
import { nonNegativeInt, reason, type Money, type Reason, type Sku, type Timestamp } from '../../domain/shared';
import { A, B, C, EUR, T0, at, eur, order, placed, quantities, total } from './fixtures';
import { quantity } from '../../domain/shared';

/**
 * The order of fixtures.ts (14.00 EUR, lines A, B, C) as a pre-sale and as cash on delivery. The pre-sale takes a
 * 30 % deposit (4.20) and the balance (9.80) from day 1 until day 10 after placement.
 */
export const day = 86_400_000;
export const inDays = (days: number): Timestamp => plusMs(T0, days * day);

const baseTerms = {
  paymentTimeoutMs: 15 * 60_000,
  reservationTtlMs: 30 * 60_000,
  partialRefunds: true,
  refundWindowMs: null,
};

export const balanceFrom = inDays(1);
export const balanceUntil = inDays(10);
export const presaleExpiresAt = plusMs(balanceUntil, baseTerms.reservationTtlMs);

export const presaleTerms = (lateBalance: 'keepDeposit' | 'refundDeposit' = 'keepDeposit'): OrderTerms =>
  ({
    ...baseTerms,
    presale: { depositBasisPoints: 3000, balanceFrom, balanceUntil, lateBalance },
  }) as OrderTerms;

export const codTerms = { ...baseTerms, cod: { maxAmount: 100_000, currency: EUR } } as OrderTerms;

export const deposit = eur(420);
export const balance = eur(980);

export const presalePlaced = (lateBalance: 'keepDeposit' | 'refundDeposit' = 'keepDeposit'): OrderPlaced => ({
  ...placed,
  tradeType: 'presale',
  terms: presaleTerms(lateBalance),
});

export const codPlaced: OrderPlaced = { ...placed, tradeType: 'cod', terms: codTerms };

const ids = fulfilmentCommandIds;

export const depositAuthorized = (when = at(3)): PaymentAuthorized => ({
  type: 'PaymentAuthorized',
  orderId: order,
  amount: deposit,
  authorizationId: 'auth_deposit',
  part: 'deposit',
  at: when,
});

export const depositDeclined = (when = at(3)): PaymentDeclined => ({
  type: 'PaymentDeclined',
  orderId: order,
  amount: deposit,
  declineCode: 'card_declined',
  part: 'deposit',
  at: when,
});

export const depositCaptured = (when = at(4)): PaymentCaptured => ({
  type: 'PaymentCaptured',
  orderId: order,
  amount: deposit,
  part: 'deposit',
  at: when,
});

export const balanceRequested = (attempt: number, when = inDays(2)): BalanceRequested => ({
  type: 'BalanceRequested',
  orderId: order,
  amount: balance,
  paymentToken: paymentToken(`tok_balance_${attempt}`),
  attempt: nonNegativeInt(attempt),
  at: when,
});

export const balanceAuthorized = (when = inDays(2)): PaymentAuthorized => ({
  type: 'PaymentAuthorized',
  orderId: order,
  amount: balance,
  authorizationId: 'auth_balance',
  part: 'balance',
  at: when,
});

export const balanceDeclined = (when = inDays(2)): PaymentDeclined => ({
  type: 'PaymentDeclined',
  orderId: order,
  amount: balance,
  declineCode: 'card_declined',
  part: 'balance',
  at: when,
});

export const balanceFailed = (when = inDays(2)): PaymentAuthorizationFailed => ({
  type: 'PaymentAuthorizationFailed',
  orderId: order,
  amount: balance,
  message: 'gateway timeout',
  attempt: 1,
  part: 'balance',
  at: when,
});

export const depositRefunded = (when = inDays(10)): PaymentRefunded => ({
  type: 'PaymentRefunded',
  orderId: order,
  refundId: cancellationRefundId,
  amount: deposit,
  providerRefundId: 're_deposit',
  at: when,
});

export const delivered = (collected: Money = total, when = inDays(3)): OrderDelivered => ({
  type: 'OrderDelivered',
  orderId: order,
  collected,
  at: when,
});

export const deliveryRefused = (when = inDays(3)): DeliveryRefused => ({
  type: 'DeliveryRefused',
  orderId: order,
  reason: reason('not at home'),
  at: when,
});

// ---------------------------------------------------------------------------------------------------------------
// commands

export const reserveUntil = (s: Sku, expiresAt: Timestamp): OutgoingCommand => ({
  target: 'inventory',
  commandId: ids.reserve(order, s),
  command: {
    type: 'ReserveStock',
    sku: s,
    orderId: order,
    quantity: quantity(quantities[s] ?? 1),
    expiresAt,
    customerId: placed.customerId,
    at: T0,
  },
});

export const authorizeDeposit = (attempt: number, when: Timestamp): OutgoingCommand => ({
  target: 'payment',
  commandId: ids.authorize(order, attempt),
  command: {
    type: 'AuthorizePaymentRequest',
    orderId: order,
    amount: deposit,
    token: 'tok_approve',
    part: 'deposit',
    at: when,
  },
});

export const captureDeposit = (when = at(3)): OutgoingCommand => ({
  target: 'payment',
  commandId: ids.capture(order),
  command: { type: 'CapturePayment', orderId: order, amount: deposit, part: 'deposit', at: when },
});

export const recordDeposit = (when = at(3)): OutgoingCommand => ({
  target: 'order',
  commandId: ids.recordDeposit(order),
  command: { type: 'RecordDeposit', orderId: order, paid: deposit, at: when },
});

export const authorizeBalance = (attempt: number, when = inDays(2)): OutgoingCommand => ({
  target: 'payment',
  commandId: ids.authorizeBalance(order, attempt),
  command: {
    type: 'AuthorizePaymentRequest',
    orderId: order,
    amount: balance,
    token: `tok_balance_${attempt}`,
    part: 'balance',
    at: when,
  },
});

export const confirmPaid = (paid: Money, when: Timestamp): OutgoingCommand => ({
  target: 'order',
  commandId: ids.confirm(order),
  command: { type: 'ConfirmOrder', orderId: order, paid, at: when },
});

export const captureBalance = (when = inDays(2)): OutgoingCommand => ({
  target: 'payment',
  commandId: ids.captureBalance(order),
  command: { type: 'CapturePayment', orderId: order, amount: balance, part: 'balance', at: when },
});

export const voidBalance = (why: Reason, when: Timestamp): OutgoingCommand => ({
  target: 'payment',
  commandId: ids.voidBalance(order),
  command: { type: 'VoidPayment', orderId: order, reason: why, part: 'balance', at: when },
});

export const refundDeposit = (when: Timestamp): OutgoingCommand => ({
  target: 'payment',
  commandId: ids.refund(order, 1),
  command: { type: 'RefundPaymentRequest', orderId: order, refundId: cancellationRefundId, amount: deposit, at: when },
});

export const recordCash = (collected: Money, when: Timestamp): OutgoingCommand => ({
  target: 'payment',
  commandId: ids.recordCash(order),
  command: { type: 'RecordCashPayment', orderId: order, amount: collected, at: when },
});

export const lines = [A, B, C] as const;
