import * as t from 'io-ts';
import { Currency, CustomerId, Name, NonNegativeInt, OrderId, Quantity, Reason, Sku } from '../../domain/shared';
import { StockDelta } from '../../domain/inventory';
import { closed } from '../../infra/http/validate';

/** HTTP request bodies of the command API. Closed: an unknown field is a 400 that names it. */

export const MoneyBody = closed('Money', { amount: NonNegativeInt, currency: Currency });

export const DefineSkuBody = closed('DefineSkuRequest', { name: Name, unitPrice: MoneyBody });
export type DefineSkuBody = t.TypeOf<typeof DefineSkuBody>;

export const RestockBody = closed('RestockRequest', { quantity: Quantity }, { reason: Reason });
export type RestockBody = t.TypeOf<typeof RestockBody>;

export const AdjustBody = closed('AdjustRequest', { delta: StockDelta, reason: Reason });
export type AdjustBody = t.TypeOf<typeof AdjustBody>;

export const OrderLineBody = closed('OrderLineRequest', { sku: Sku, quantity: Quantity });

export const PaymentToken = t.brand(
  t.string,
  (s): s is t.Branded<string, { readonly PaymentTokenBody: unique symbol }> => s.length > 0 && s.length <= 200,
  'PaymentTokenBody',
);

export const PlaceOrderBody = closed(
  'PlaceOrderRequest',
  {
    customerId: CustomerId,
    lines: t.array(OrderLineBody, 'OrderLines'),
    payment: closed('PaymentRequest', { token: PaymentToken }),
  },
  { orderId: OrderId },
);
export type PlaceOrderBody = t.TypeOf<typeof PlaceOrderBody>;

export const CancelBody = closed('CancelOrderRequest', { reason: Reason });
export type CancelBody = t.TypeOf<typeof CancelBody>;

export const ShipBody = closed('ShipOrderRequest', {});

export const RefundBody = closed(
  'RefundRequest',
  { reason: Reason },
  { lines: t.array(OrderLineBody, 'RefundLines'), amount: MoneyBody, restock: t.boolean },
);
export type RefundBody = t.TypeOf<typeof RefundBody>;

/** `Idempotency-Key` header value. */
export const IdempotencyKey = /^[A-Za-z0-9._:-]{1,128}$/;
