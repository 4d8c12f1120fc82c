import express, { type Request, type Response, type Router } from 'express';
import * as E from 'fp-ts/Either';
import { available, type InventoryCommand, type InventoryState } from '../../domain/inventory';
import { RequestRefund, type OrderState } from '../../domain/order';
import { Sku, OrderId, timestamp, type DomainError, type Timestamp } from '../../domain/shared';
import { decodeOr400 } from '../../http/validate';
import { problem, validationProblem } from '../../http/problem';
import { requestContext, requireScope } from '../../http/middleware';
import { deterministicId, newId } from '../../ports/ids';
import type { Clock } from '../../ports/clock';
import { inventoryCentre, orderCentre } from '../../domain/centres';
import type { CommandContext, CommandHandler, Handled } from '../command-handler';
import { placeOrder, type PlaceOrderError, type PriceLines } from '../place-order';
import { requestFingerprint } from './request-fingerprint';
import {
  AdjustBody,
  CancelBody,
  DefineSkuBody,
  IdempotencyKey,
  PlaceOrderBody,
  RefundBody,
  RestockBody,
  ShipBody,
} from './requests';

export interface CommandApiDeps {
  readonly handler: CommandHandler;
  readonly priceLines: PriceLines;
  /** the sold-out fast path is on (a flow rule, read per request so a rule change applies at once) */
  readonly refuseSoldOut?: () => boolean;
  readonly clock: Clock;
}

const statusFor: Readonly<Record<DomainError['category'], number>> = {
  not_found: 404,
  conflict: 409,
  rule_violation: 422,
};

/** Maps a domain or concurrency error to problem+json; its `code` becomes the stable problem `type`. */
const rejected = (error: PlaceOrderError): never => {
  if (error.category === 'invalid') throw validationProblem(error.errors, 'order');
  const details = 'details' in error && error.details ? { details: error.details } : {};
  throw problem(statusFor[error.category], error.code, titleOf(error.code), error.message, {
    code: error.code,
    ...details,
  });
};

const titleOf = (code: string): string => code.replace(/([a-z0-9])([A-Z])/g, '$1 $2');

const unwrap = <S, Ev>(result: E.Either<PlaceOrderError, Handled<S, Ev>>): Handled<S, Ev> =>
  E.isLeft(result) ? rejected(result.left) : result.right;

/**
 * Command id from `Idempotency-Key` (a repeat of the same request returns the first result; the same key with other
 * parameters is a 422), or a fresh one.
 */
const commandContext = (req: Request, res: Response): CommandContext => {
  const key = req.get('Idempotency-Key');
  if (key !== undefined && !IdempotencyKey.test(key)) {
    throw problem(
      400,
      'InvalidIdempotencyKey',
      'Invalid Idempotency-Key',
      'Idempotency-Key must be 1–128 characters of A–Z, a–z, 0–9, . _ : -',
    );
  }
  const ctx = requestContext(res);
  if (key === undefined) {
    const commandId = newId();
    return { commandId, causationId: commandId, correlationId: ctx.correlationId };
  }
  const fingerprint = requestFingerprint(req.method, `${req.baseUrl}${req.path}`, req.body);
  return { commandId: key, causationId: key, correlationId: ctx.correlationId, requestFingerprint: fingerprint };
};

const param = <A>(
  codec: { decode: (u: unknown) => E.Either<unknown, A>; name: string },
  req: Request,
  name: string,
): A => {
  const decoded = codec.decode(req.params[name]);
  if (E.isLeft(decoded)) {
    throw problem(
      400,
      'InvalidPathParameter',
      'Invalid path parameter',
      `${name}: expected ${codec.name}, got ${JSON.stringify(req.params[name])}`,
    );
  }
  return decoded.right;
};

const skuView = (state: InventoryState, position: number) => {
  if (state.status !== 'Active') return { position };
  return {
    sku: state.sku,
    name: state.name,
    unitPrice: state.unitPrice,
    onHand: state.onHand,
    reserved: state.reserved,
    available: available(state),
    position,
  };
};

const orderStatus = (state: OrderState): string => state.status;

export const commandRoutes = ({ handler, priceLines, clock, refuseSoldOut }: CommandApiDeps): Router => {
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
      { type: 'RestockSku', sku, quantity: body.quantity, ...(body.reason ? { reason: body.reason } : {}), at: now() },
      commandContext(req, res),
    );
    res.status(200).json(skuView(result.state, result.position));
  });

  router.post('/skus/:sku/adjust', requireScope('inventory:write'), async (req, res) => {
    const sku = param(Sku, req, 'sku');
    const body = decodeOr400(AdjustBody, req.body);
    const result = await inventory(
      { type: 'AdjustStock', sku, delta: body.delta, reason: body.reason, at: now() },
      commandContext(req, res),
    );
    res.status(200).json(skuView(result.state, result.position));
  });

  router.post('/orders', requireScope('orders:write'), async (req, res) => {
    const body = decodeOr400(PlaceOrderBody, req.body);
    const context = commandContext(req, res);
    // Without a client order id, derive it from the command id so a retried request cannot create a second order.
    const orderId = body.orderId ?? deterministicId(`order:${context.commandId}`);
    const request = { orderId, customerId: body.customerId, lines: body.lines, paymentToken: body.payment.token };
    const placed = await placeOrder(
      { handler, priceLines, soldOutFastPath: refuseSoldOut?.() === true },
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
    decodeOr400(ShipBody, req.body ?? {});
    const result = unwrap(
      await handler.handle(orderCentre, { type: 'ShipOrder', orderId, at: now() }, commandContext(req, res)),
    );
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
