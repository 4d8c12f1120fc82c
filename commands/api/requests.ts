import * as t from 'io-ts';
import {
  ChannelId,
  CouponCode,
  Currency,
  CustomerId,
  constrainedString,
  Name,
  NonNegativeInt,
  OrderId,
  Quantity,
  Reason,
  Sku,
  WarehouseId,
} from '../../domain/shared';
import { StockDelta } from '../../domain/inventory';
import { PaymentToken, TradeType, duplicateSkus, lineListProblem, maxOrderLines } from '../../domain/order';
import { BoundedArrayType, closed } from '../../http/validate';

/** HTTP request bodies of the command API. Closed: an unknown field is a 400 that names it. */

export const MoneyBody = closed('Money', { amount: NonNegativeInt, currency: Currency });

export const DefineSkuBody = closed('DefineSkuRequest', { name: Name, unitPrice: MoneyBody });
export type DefineSkuBody = t.TypeOf<typeof DefineSkuBody>;

export const RestockBody = closed('RestockRequest', { quantity: Quantity }, { reason: Reason, warehouse: WarehouseId });
export type RestockBody = t.TypeOf<typeof RestockBody>;

export const AdjustBody = closed('AdjustRequest', { delta: StockDelta, reason: Reason }, { warehouse: WarehouseId });
export type AdjustBody = t.TypeOf<typeof AdjustBody>;

export const OrderLineBody = closed('OrderLineRequest', { sku: Sku, quantity: Quantity });

/**
 * Lines of an order or a refund: 1..maxOrderLines (400 outside, as documented), each sku once (a rule JSON Schema
 * cannot state: 422), so a body that passes here also passes the command's own decoding.
 */
export const lineList = (name: string) =>
  new BoundedArrayType(name, OrderLineBody, 1, maxOrderLines, 'each sku at most once (else 422)', (lines) =>
    duplicateSkus(lines).length > 0 ? lineListProblem(lines) : undefined,
  );

export const PlaceOrderBody = closed(
  'PlaceOrderRequest',
  {
    customerId: CustomerId,
    lines: lineList('OrderLines'),
    payment: closed('PaymentRequest', { token: PaymentToken }),
  },
  { orderId: OrderId, couponCode: CouponCode, channel: ChannelId, tradeType: TradeType },
);
export type PlaceOrderBody = t.TypeOf<typeof PlaceOrderBody>;

export const CancelBody = closed('CancelOrderRequest', { reason: Reason });
export type CancelBody = t.TypeOf<typeof CancelBody>;

/** `warehouse`: ship that warehouse's shipment of a split order (absent: everything left). */
export const ShipBody = closed('ShipOrderRequest', {}, { warehouse: WarehouseId });

export const RefundBody = closed(
  'RefundRequest',
  { reason: Reason },
  { lines: lineList('RefundLines'), amount: MoneyBody, restock: t.boolean },
);
export type RefundBody = t.TypeOf<typeof RefundBody>;

/** `Idempotency-Key` header value. */
export const IdempotencyKey = /^[A-Za-z0-9._:-]{1,128}$/;
/** The same rule as a codec, for the document. */
export const IdempotencyKeyHeader = constrainedString<'IdempotencyKey', { readonly IdempotencyKey: unique symbol }>(
  'IdempotencyKey',
  { pattern: IdempotencyKey },
);
