import * as E from 'fp-ts/Either';
import {
  canAuthorize,
  canRefund,
  isCashPayment,
  type PaymentCommand,
  type PaymentError,
  type PaymentState,
} from '../../domain/payment';
import { absurd } from '../../domain/shared';
import { authorizePaymentCommand, refundPaymentCommand, type PaymentRequest } from '../../domain/sagas';
import type { PaymentProvider } from '../../ports/payment-provider';

export type ResolvedPayment =
  /** send this command to the payment centre under the saga's command id */
  | { readonly kind: 'command'; readonly command: PaymentCommand }
  /** the payment centre would refuse it: feed the rejection back to the saga, the provider was not asked */
  | { readonly kind: 'rejected'; readonly error: PaymentError }
  /** already authorized or refunded: an idempotent repeat, nothing to send */
  | { readonly kind: 'nothing_to_do' };

/**
 * Turns a saga's payment command into one the payment centre can decide. Requests go to the provider only after
 * the payment's current state says they would be accepted, so a refused command never charges or refunds; the
 * saga's command id is the provider's idempotency key, so a re-send after a crash gets the same answer.
 */
export const resolvePayment = async (
  provider: PaymentProvider,
  outgoing: { readonly commandId: string; readonly command: PaymentCommand | PaymentRequest },
  current: PaymentState,
): Promise<ResolvedPayment> => {
  const { commandId, command } = outgoing;
  switch (command.type) {
    case 'AuthorizePaymentRequest': {
      const verdict = canAuthorize(current, command.amount, command.orderId, command.part);
      if (E.isLeft(verdict)) return { kind: 'rejected', error: verdict.left };
      if (verdict.right === 'already_authorized') return { kind: 'nothing_to_do' };
      const { orderId, amount, token } = command;
      const outcome = await provider.authorize({ orderId, amount, token, idempotencyKey: commandId });
      return { kind: 'command', command: authorizePaymentCommand(command, outcome) };
    }
    case 'RefundPaymentRequest': {
      const verdict = canRefund(current, command.refundId, command.amount, command.orderId);
      if (E.isLeft(verdict)) return { kind: 'rejected', error: verdict.left };
      if (verdict.right === 'already_refunded') return { kind: 'nothing_to_do' };
      // cash collected on delivery goes back by hand: the payment centre records it, the provider is not asked
      if (isCashPayment(current)) {
        return { kind: 'command', command: refundPaymentCommand(command, { result: 'refunded_in_cash' }) };
      }
      const { orderId, refundId, amount } = command;
      const outcome = await provider.refund({ orderId, refundId, amount, idempotencyKey: commandId });
      return { kind: 'command', command: refundPaymentCommand(command, outcome) };
    }
    case 'AuthorizePayment':
    case 'CapturePayment':
    case 'VoidPayment':
    case 'RefundPayment':
    case 'RecordCashPayment':
      return { kind: 'command', command };
    default:
      return absurd(command);
  }
};
