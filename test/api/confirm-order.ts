import * as E from 'fp-ts/Either';
import { orderCentre, paymentCentre } from '../../domain/centres';
import { CommandHandler } from '../../commands/command-handler';
import { currency, money, orderId, timestamp } from '../../domain/shared';
import type { TestApi } from '../api-spec';

/**
 * Confirms an order the way the fulfilment saga does, through the same command handler and store: the payment
 * authorized and captured, the order confirmed. Answers the position of the last event.
 */
export const confirmOrder = async (api: TestApi, id: string, paid: number): Promise<number> => {
  const handler = new CommandHandler({ store: api.store, clock: api.clock });
  const at = timestamp(api.clock.now().toISOString());
  const amount = money(paid, currency('EUR'));
  const context = (step: string) => ({ commandId: `${step}-${id}`, causationId: `${step}-${id}`, correlationId: id });
  const authorized = await handler.handle(
    paymentCentre,
    {
      type: 'AuthorizePayment',
      orderId: orderId(id),
      amount,
      token: 'tok_approve',
      outcome: { result: 'approved', authorizationId: `auth-${id}` },
      at,
    },
    context('authorize'),
  );
  if (E.isLeft(authorized)) throw new Error(`authorize failed: ${authorized.left.message}`);
  const confirmed = await handler.handle(
    orderCentre,
    { type: 'ConfirmOrder', orderId: orderId(id), paid: amount, at },
    context('confirm'),
  );
  if (E.isLeft(confirmed)) throw new Error(`confirm failed: ${confirmed.left.message}`);
  const captured = await handler.handle(
    paymentCentre,
    { type: 'CapturePayment', orderId: orderId(id), amount, at },
    context('capture'),
  );
  if (E.isLeft(captured)) throw new Error(`capture failed: ${captured.left.message}`);
  return captured.right.position;
};
