import express, { type Router } from 'express';
import { OrderId, timestamp, type Timestamp } from '../../domain/shared';
import type { OrderCommand } from '../../domain/order';
import { orderCentre } from '../../domain/centres';
import { decodeOr400 } from '../../http/validate';
import { requireScope } from '../../http/middleware';
import type { Clock } from '../../ports/clock';
import type { CommandHandler } from '../command-handler';
import { commandContext, orderStatus, param, unwrap } from './route-helpers';
import { DeliverBody, PayBalanceBody, RefuseDeliveryBody } from './trade-requests';

export interface TradeApiDeps {
  readonly handler: CommandHandler;
  readonly clock: Clock;
}

/**
 * The trade types' routes (scope `orders:write`): a pre-sale's balance, a cash-on-delivery order delivered or refused
 * at the door. Each is one order command; the fulfilment saga does the rest (authorizes and captures the balance,
 * commits or releases the stock, records the cash).
 */
export const tradeRoutes = ({ handler, clock }: TradeApiDeps): Router => {
  const router = express.Router();
  const now = (): Timestamp => timestamp(clock.now().toISOString());

  const accepted = async (
    req: express.Request,
    res: express.Response,
    command: (orderId: OrderId, at: Timestamp) => OrderCommand,
  ) => {
    const orderId = param(OrderId, req, 'orderId');
    const result = unwrap(await handler.handle(orderCentre, command(orderId, now()), commandContext(req, res)));
    res.status(202).json({ orderId, status: orderStatus(result.state), position: result.position });
  };

  router.post('/orders/:orderId/balance', requireScope('orders:write'), async (req, res) => {
    const body = decodeOr400(PayBalanceBody, req.body, 'balance');
    await accepted(req, res, (orderId, at) => ({
      type: 'PayBalance',
      orderId,
      paymentToken: body.payment.token,
      at,
    }));
  });

  router.post('/orders/:orderId/deliver', requireScope('orders:write'), async (req, res) => {
    const body = decodeOr400(DeliverBody, req.body, 'delivery');
    await accepted(req, res, (orderId, at) => ({ type: 'DeliverOrder', orderId, collected: body.collected, at }));
  });

  router.post('/orders/:orderId/delivery-refused', requireScope('orders:write'), async (req, res) => {
    const body = decodeOr400(RefuseDeliveryBody, req.body, 'refusal');
    await accepted(req, res, (orderId, at) => ({ type: 'RefuseDelivery', orderId, reason: body.reason, at }));
  });

  return router;
};
