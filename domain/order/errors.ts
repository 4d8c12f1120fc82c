import { domainError, type DomainError, type ErrorCategory } from '../shared';

/** Every error the order decider can answer, with its fixed category (the API maps categories to statuses). */
export const orderErrorCategories = {
  OrderNotFound: 'not_found',
  RefundNotFound: 'not_found',

  OrderAlreadyExists: 'conflict',
  OrderCancelled: 'conflict',
  OrderNotConfirmed: 'conflict',
  OrderAlreadyConfirmed: 'conflict',
  OrderAlreadyShipped: 'conflict',
  OrderRefunded: 'conflict',
  OrderFullyRefunded: 'conflict',
  RefundInProgress: 'conflict',
  RefundIdReused: 'conflict',
  RefundAlreadyCompleted: 'conflict',
  RefundAlreadyFailed: 'conflict',
  BalanceAlreadyPaid: 'conflict',
  DepositNotPaid: 'conflict',
  DepositAlreadyPaid: 'conflict',
  OrderAlreadyDelivered: 'conflict',
  ShipmentsAlreadyPlanned: 'conflict',

  CurrencyMismatch: 'rule_violation',
  EmptyOrder: 'rule_violation',
  TooManyOrderLines: 'rule_violation',
  DuplicateOrderLine: 'rule_violation',
  OrderTotalZero: 'rule_violation',
  AmountTooLarge: 'rule_violation',
  ZeroPayment: 'rule_violation',
  PaymentExceedsTotal: 'rule_violation',
  AmbiguousRefund: 'rule_violation',
  UnknownOrderLine: 'rule_violation',
  DuplicateRefundLine: 'rule_violation',
  RefundQuantityExceeded: 'rule_violation',
  RefundExceedsPaid: 'rule_violation',
  NothingToRefund: 'rule_violation',
  RestockNeedsLines: 'rule_violation',
  DiscountExceedsLine: 'rule_violation',
  InconsistentPricing: 'rule_violation',
  NotAPresale: 'rule_violation',
  NotCashOnDelivery: 'rule_violation',
  CollectedAmountMismatch: 'rule_violation',
  BalanceWindowNotOpen: 'rule_violation',
  BalanceWindowClosed: 'rule_violation',
  DepositOutOfRange: 'rule_violation',
  PartialRefundNotAllowed: 'rule_violation',
  RefundWindowClosed: 'rule_violation',
  InvalidShipmentPlan: 'rule_violation',
  ShipmentNotFound: 'rule_violation',
} as const satisfies Readonly<Record<string, ErrorCategory>>;

export type OrderErrorCode = keyof typeof orderErrorCategories;

export type OrderError = DomainError & { readonly code: OrderErrorCode };

export const orderError = (
  code: OrderErrorCode,
  message: string,
  details?: Readonly<Record<string, unknown>>,
): OrderError => domainError(code, orderErrorCategories[code], message, details);
