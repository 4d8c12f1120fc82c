import { domainError, type DomainError, type Money, type OrderId, type RefundId } from '../shared';

export type PaymentErrorCode =
  | 'PaymentNotFound'
  | 'PaymentDeclined'
  | 'PaymentVoided'
  | 'PaymentNotAuthorized'
  | 'PaymentNotCaptured'
  | 'PaymentFullyRefunded'
  | 'AmountMismatch'
  | 'AlreadyCaptured'
  | 'RefundAmountMismatch'
  | 'CaptureExceedsAuthorized'
  | 'RefundExceedsCaptured'
  | 'AmountNotPositive'
  | 'CurrencyMismatch'
  | 'DepositNotCaptured'
  | 'NotAPresalePayment'
  | 'DepositRefunded'
  | 'CashPaymentNotExpected'
  | 'RefundMethodMismatch';

export type PaymentError = DomainError & { readonly code: PaymentErrorCode };

const show = (m: Money): string => `${m.amount} ${m.currency}`;

/** The pre-provider checks may run on a never-started payment, where only the caller knows the order id. */
const ofOrder = (orderId: OrderId | undefined): string => (orderId === undefined ? 'this order' : `order ${orderId}`);
const withOrder = (
  orderId: OrderId | undefined,
  details: Readonly<Record<string, unknown>>,
): Record<string, unknown> => (orderId === undefined ? { ...details } : { orderId, ...details });

/** Builders for every payment error, so codes, categories and details stay consistent. */
export const paymentErrors = {
  notFound: (orderId: OrderId | undefined): PaymentError =>
    domainError(
      'PaymentNotFound',
      'not_found',
      `no payment was started for ${ofOrder(orderId)}`,
      withOrder(orderId, {}),
    ),
  declined: (orderId: OrderId, declineCode: string): PaymentError =>
    domainError('PaymentDeclined', 'conflict', `the payment for order ${orderId} was declined (${declineCode})`, {
      orderId,
      declineCode,
    }),
  voided: (orderId: OrderId): PaymentError =>
    domainError('PaymentVoided', 'conflict', `the payment for order ${orderId} was voided`, { orderId }),
  notAuthorized: (orderId: OrderId): PaymentError =>
    domainError('PaymentNotAuthorized', 'conflict', `the payment for order ${orderId} is not authorized yet`, {
      orderId,
    }),
  notCaptured: (orderId: OrderId): PaymentError =>
    domainError('PaymentNotCaptured', 'conflict', `the payment for order ${orderId} has not been captured`, {
      orderId,
    }),
  fullyRefunded: (orderId: OrderId): PaymentError =>
    domainError('PaymentFullyRefunded', 'conflict', `the payment for order ${orderId} is already fully refunded`, {
      orderId,
    }),
  amountMismatch: (orderId: OrderId, expected: Money, actual: Money): PaymentError =>
    domainError(
      'AmountMismatch',
      'conflict',
      `the payment for order ${orderId} was started for ${show(expected)}, not ${show(actual)}`,
      { orderId, expected, actual },
    ),
  alreadyCaptured: (orderId: OrderId, captured: Money): PaymentError =>
    domainError(
      'AlreadyCaptured',
      'conflict',
      `the payment for order ${orderId} was already captured (${show(captured)})`,
      {
        orderId,
        captured,
      },
    ),
  refundAmountMismatch: (orderId: OrderId, refundId: RefundId, expected: Money, actual: Money): PaymentError =>
    domainError(
      'RefundAmountMismatch',
      'conflict',
      `refund ${refundId} of order ${orderId} is for ${show(expected)}, not ${show(actual)}`,
      { orderId, refundId, expected, actual },
    ),
  captureExceedsAuthorized: (orderId: OrderId, authorized: Money, requested: Money): PaymentError =>
    domainError(
      'CaptureExceedsAuthorized',
      'rule_violation',
      `cannot capture ${show(requested)} for order ${orderId}: only ${show(authorized)} is authorized`,
      { orderId, authorized, requested },
    ),
  refundExceedsCaptured: (orderId: OrderId, refundable: Money, requested: Money): PaymentError =>
    domainError(
      'RefundExceedsCaptured',
      'rule_violation',
      `cannot refund ${show(requested)} for order ${orderId}: only ${show(refundable)} is left to refund`,
      { orderId, refundable, requested },
    ),
  amountNotPositive: (orderId: OrderId | undefined, amount: Money): PaymentError =>
    domainError(
      'AmountNotPositive',
      'rule_violation',
      `the amount for ${ofOrder(orderId)} must be above zero`,
      withOrder(orderId, { amount }),
    ),
  currencyMismatch: (orderId: OrderId, expected: Money['currency'], actual: Money['currency']): PaymentError =>
    domainError(
      'CurrencyMismatch',
      'rule_violation',
      `the payment for order ${orderId} is in ${expected}, not ${actual}`,
      { orderId, expected, actual },
    ),
  depositNotCaptured: (orderId: OrderId | undefined): PaymentError =>
    domainError(
      'DepositNotCaptured',
      'conflict',
      `the balance of ${ofOrder(orderId)} can only be charged after its deposit was captured`,
      withOrder(orderId, {}),
    ),
  notAPresale: (orderId: OrderId): PaymentError =>
    domainError(
      'NotAPresalePayment',
      'rule_violation',
      `the payment of order ${orderId} was a single charge, not a deposit: no balance is due`,
      { orderId },
    ),
  depositRefunded: (orderId: OrderId): PaymentError =>
    domainError(
      'DepositRefunded',
      'conflict',
      `the deposit of order ${orderId} was refunded: no balance can be charged any more`,
      { orderId },
    ),
  cashNotExpected: (orderId: OrderId): PaymentError =>
    domainError(
      'CashPaymentNotExpected',
      'conflict',
      `the payment of order ${orderId} was started with the provider (or paid in cash for another amount)`,
      { orderId },
    ),
  refundMethodMismatch: (orderId: OrderId, cash: boolean): PaymentError =>
    domainError(
      'RefundMethodMismatch',
      'rule_violation',
      cash
        ? `order ${orderId} was paid in cash: it is refunded in cash, not through the provider`
        : `order ${orderId} was paid through the provider: it cannot be refunded in cash`,
      { orderId },
    ),
} as const;
