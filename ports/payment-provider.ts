import type { AuthorizationOutcome, RefundOutcome } from '../domain/payment';
import type { Money, OrderId, RefundId } from '../domain/shared';

/**
 * The payment provider port. Every call carries an idempotency key (the saga's command id): the same key always
 * gets the same answer and never moves money twice, so a runner may repeat a call after a crash.
 * Authorize and refund answers are exactly the `outcome` of the AuthorizePayment and RefundPayment commands.
 */
export interface AuthorizeRequest {
  readonly orderId: OrderId;
  readonly amount: Money;
  readonly token: string;
  readonly idempotencyKey: string;
}

export type AuthorizeResult = AuthorizationOutcome;

export interface CaptureRequest {
  readonly orderId: OrderId;
  readonly authorizationId: string;
  readonly amount: Money;
  readonly idempotencyKey: string;
}

/** The payment centre records a capture without a provider outcome, so a provider error here is retried. */
export type CaptureResult =
  { readonly result: 'captured' } | { readonly result: 'provider_error'; readonly message: string };

export interface VoidRequest {
  readonly orderId: OrderId;
  readonly authorizationId: string;
  readonly idempotencyKey: string;
}

export type VoidResult =
  { readonly result: 'voided' } | { readonly result: 'provider_error'; readonly message: string };

export interface RefundRequest {
  readonly orderId: OrderId;
  readonly refundId: RefundId;
  readonly amount: Money;
  readonly idempotencyKey: string;
}

export type RefundResult = RefundOutcome;

export interface PaymentProvider {
  authorize(request: AuthorizeRequest): Promise<AuthorizeResult>;
  capture(request: CaptureRequest): Promise<CaptureResult>;
  void(request: VoidRequest): Promise<VoidResult>;
  refund(request: RefundRequest): Promise<RefundResult>;
}
