import {
  domainError,
  type CouponCode,
  type Currency,
  type CustomerId,
  type DomainError,
  type ErrorCategory,
  type OrderId,
  type PromotionId,
  type Sku,
} from '../shared';

/** Every error the promotion book and coupon deciders can answer, with its fixed category. */
export const pricingErrorCategories = {
  PromotionNotFound: 'not_found',
  CouponNotFound: 'not_found',

  CouponMismatch: 'conflict',
  CouponNotReserved: 'conflict',
  CouponReservationClosed: 'conflict',

  PromotionWindowEmpty: 'rule_violation',
  PromotionCurrencyMismatch: 'rule_violation',
  DuplicatePromotionSku: 'rule_violation',
  CouponExhausted: 'rule_violation',
  CouponCustomerLimitReached: 'rule_violation',
} as const satisfies Readonly<Record<string, ErrorCategory>>;

export type PricingErrorCode = keyof typeof pricingErrorCategories;

export type PricingError = DomainError & { readonly code: PricingErrorCode };

const pricingError = (
  code: PricingErrorCode,
  message: string,
  details: Readonly<Record<string, unknown>>,
): PricingError => domainError(code, pricingErrorCategories[code], message, details);

export const promotionNotFound = (promotionId: PromotionId): PricingError =>
  pricingError('PromotionNotFound', `promotion ${promotionId} is not defined`, { promotionId });

export const promotionWindowEmpty = (validFrom: string, validUntil: string): PricingError =>
  pricingError('PromotionWindowEmpty', `definition.validUntil (${validUntil}) must be after validFrom (${validFrom})`, {
    field: 'definition.validUntil',
    validFrom,
    validUntil,
  });

export const promotionCurrencyMismatch = (field: string, expected: Currency, got: Currency): PricingError =>
  pricingError('PromotionCurrencyMismatch', `definition.${field} is in ${got}, the promotion in ${expected}`, {
    field: `definition.${field}`,
    expected,
    got,
  });

export const duplicatePromotionSku = (field: string, skus: readonly Sku[]): PricingError =>
  pricingError('DuplicatePromotionSku', `definition.${field} lists ${skus.join(', ')} more than once`, {
    field: `definition.${field}`,
    skus,
  });

export const couponNotFound = (code?: CouponCode): PricingError =>
  pricingError(
    'CouponNotFound',
    code === undefined ? 'the coupon is not defined' : `coupon ${code} is not defined`,
    code === undefined ? {} : { code },
  );

/** A command routed to another coupon's stream: a routing bug, refused rather than silently applied. */
export const couponMismatch = (expected: CouponCode, got: CouponCode): PricingError =>
  pricingError('CouponMismatch', `command for coupon ${got} reached the stream of coupon ${expected}`, {
    expected,
    got,
  });

export const couponExhausted = (code: CouponCode, totalLimit: number): PricingError =>
  pricingError('CouponExhausted', `coupon ${code} has no redemptions left (limit ${totalLimit})`, {
    code,
    totalLimit,
  });

export const couponCustomerLimitReached = (
  code: CouponCode,
  customerId: CustomerId,
  perCustomerLimit: number,
): PricingError =>
  pricingError(
    'CouponCustomerLimitReached',
    `customer ${customerId} already holds coupon ${code} ${perCustomerLimit} time(s), the limit per customer`,
    { code, customerId, perCustomerLimit },
  );

export const couponNotReserved = (code: CouponCode, orderId: OrderId): PricingError =>
  pricingError('CouponNotReserved', `order ${orderId} holds no reservation of coupon ${code}`, { code, orderId });

export const couponReservationClosed = (code: CouponCode, orderId: OrderId): PricingError =>
  pricingError(
    'CouponReservationClosed',
    `order ${orderId} already released coupon ${code}; an order does not reserve it again`,
    { code, orderId },
  );
