import * as E from 'fp-ts/Either';
import { orderAggregate } from '../../commands/aggregates';
import { CommandHandler } from '../../commands/command-handler';
import { currency, money, orderId, timestamp } from '../../domain/shared';
import type { TestApi } from '../api-spec';

/** Confirms an order the way the fulfilment saga will, through the same command handler and store. */
export const confirmOrder = async (api: TestApi, id: string, paid: number): Promise<number> => {
  const handler = new CommandHandler({ store: api.store, clock: api.clock });
  const result = await handler.handle(
    orderAggregate,
    {
      type: 'ConfirmOrder',
      orderId: orderId(id),
      paid: money(paid, currency('EUR')),
      at: timestamp(api.clock.now().toISOString()),
    },
    { commandId: `confirm-${id}`, causationId: `confirm-${id}`, correlationId: id },
  );
  if (E.isLeft(result)) throw new Error(`confirm failed: ${result.left.message}`);
  return result.right.position;
};
