import express, { type Router } from 'express';
import type { InventoryCommand } from '../../domain/inventory';
import { RequestRefund } from '../../domain/order';
import { Sku, OrderId, timestamp, type Timestamp } from '../../domain/shared';
import { decodeOr400 } from '../../http/validate';
import { requireScope } from '../../http/middleware';
import { deterministicId } from '../../ports/ids';
import type { Clock } from '../../ports/clock';
import { inventoryCentre, orderCentre } from '../../domain/centres';
import type { CommandContext, CommandHandler } from '../command-handler';
import { placeOrder } from '../place-order';
import { requestChannel } from './channel-routes';
import type { QuoteOrder } from '../pricing';
import { commandContext, orderStatus, param, skuView, unwrap } from './route-helpers';
import { AdjustBody, CancelBody, DefineSkuBody, PlaceOrderBody, RefundBody, RestockBody, ShipBody } from './requests';

export interface CommandApiDeps {
  readonly handler: CommandHandler;
  readonly quote: QuoteOrder;
  /** the sold-out fast path is on (a flow rule, read per request so a rule change applies at once) */
  readonly refuseSoldOut?: () => boolean;
  readonly clock: Clock;
}

export const commandRoutes = ({ handler, quote, clock, refuseSoldOut }: CommandApiDeps): Router => {
  const router = express.Router();
  const now = (): Timestamp => timestamp(clock.now().toISOString());

  const inventory = async (command: InventoryCommand, context: CommandContext) =>
    unwrap(await handler.handle(inventoryCentre, command, context));

  router.put('/skus/:sku', requireScope('inventory:write'), async (req, res) => {
    const sku = param(Sku, req, 'sku');
    const body = decodeOr400(DefineSkuBody, req.body);
    const result = await inventory(
      { type: 'DefineSku', sku, name: body.name, unitPrice: body.unitPrice, at: now() },
      commandContext(req, res),
    );
    const created = result.previousRevision < 0 && (result.events.length > 0 || result.duplicate);
    res.status(created ? 201 : 200).json(skuView(result.state, result.position));
  });

  router.post('/skus/:sku/restock', requireScope('inventory:write'), async (req, res) => {
    const sku = param(Sku, req, 'sku');
    const body = decodeOr400(RestockBody, req.body);
    const result = await inventory(
      {
        type: 'RestockSku',
        sku,
        quantity: body.quantity,
        ...(body.reason ? { reason: body.reason } : {}),
        ...(body.warehouse ? { warehouse: body.warehouse } : {}),
        at: now(),
      },
      commandContext(req, res),
    );
    res.status(200).json(skuView(result.state, result.position));
  });

  router.post('/skus/:sku/adjust', requireScope('inventory:write'), async (req, res) => {
    const sku = param(Sku, req, 'sku');
    const body = decodeOr400(AdjustBody, req.body);
    const result = await inventory(
      {
        type: 'AdjustStock',
        sku,
        delta: body.delta,
        reason: body.reason,
        ...(body.warehouse ? { warehouse: body.warehouse } : {}),
        at: now(),
      },
      commandContext(req, res),
    );
    res.status(200).json(skuView(result.state, result.position));
  });

  router.post('/orders', requireScope('orders:write'), async (req, res) => {
    const body = decodeOr400(PlaceOrderBody, req.body);
    const context = commandContext(req, res);
    // Without a client order id, derive it from the command id so a retried request cannot create a second order.
    const orderId = body.orderId ?? deterministicId(`order:${context.commandId}`);
    const channel = await requestChannel(handler, res, body.channel);
    const request = {
      orderId,
      customerId: body.customerId,
      lines: body.lines,
      ...(body.couponCode === undefined ? {} : { couponCode: body.couponCode }),
      paymentToken: body.payment.token,
      channel,
      ...(body.tradeType === undefined ? {} : { tradeType: body.tradeType }),
    };
    const placed = await placeOrder(
      { handler, quote, soldOutFastPath: refuseSoldOut?.() === true },
      { ...request, at: now() },
      context,
    );
    const result = unwrap(placed);
    res
      .status(202)
      .location(`/v1/orders/${orderId}`)
      .json({ orderId, status: orderStatus(result.state), position: result.position });
  });

  router.post('/orders/:orderId/cancel', requireScope('orders:write'), async (req, res) => {
    const orderId = param(OrderId, req, 'orderId');
    const body = decodeOr400(CancelBody, req.body);
    const result = unwrap(
      await handler.handle(
        orderCentre,
        { type: 'CancelOrder', orderId, reason: body.reason, at: now() },
        commandContext(req, res),
      ),
    );
    res.status(202).json({ orderId, status: orderStatus(result.state), position: result.position });
  });

  router.post('/orders/:orderId/ship', requireScope('orders:write'), async (req, res) => {
    const orderId = param(OrderId, req, 'orderId');
    const body = decodeOr400(ShipBody, req.body ?? {});
    const command =
      body.warehouse === undefined
        ? ({ type: 'ShipOrder', orderId, at: now() } as const)
        : ({ type: 'ShipShipment', orderId, warehouse: body.warehouse, at: now() } as const);
    const result = unwrap(await handler.handle(orderCentre, command, commandContext(req, res)));
    res.status(202).json({ orderId, status: orderStatus(result.state), position: result.position });
  });

  router.post('/orders/:orderId/refunds', requireScope('refunds:write'), async (req, res) => {
    const orderId = param(OrderId, req, 'orderId');
    const body = decodeOr400(RefundBody, req.body);
    const context = commandContext(req, res);
    const refundId = deterministicId(`refund:${context.commandId}`);
    const command = decodeOr400(
      RequestRefund,
      {
        type: 'RequestRefund',
        orderId,
        refundId,
        reason: body.reason,
        restock: body.restock ?? false,
        ...(body.lines ? { lines: body.lines } : {}),
        ...(body.amount ? { amount: body.amount } : {}),
        at: now(),
      },
      'refund',
    );
    const result = unwrap(await handler.handle(orderCentre, command, context));
    res.status(202).json({ orderId, refundId, status: orderStatus(result.state), position: result.position });
  });

  return router;
};
