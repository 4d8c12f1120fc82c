import * as t from 'io-ts';
import { ChannelId, Currency, CustomerId, Money, OrderId, Quantity, Reason, RefundId, Sku, Timestamp } from '../shared';
import { PlanShipments, ShipShipment } from './shipments';
import { OrderPricing, OrderTerms, PaymentToken, TradeType, checked, lineListProblem } from './values';

/**
 * A line as the caller priced it at placement time: the list unit price, and the discount off the whole line that
 * the promotions gave (absent: none).
 */
export const PlaceOrderLine = t.intersection(
  [
    t.readonly(t.strict({ sku: Sku, quantity: Quantity, unitPrice: Money })),
    t.readonly(t.exact(t.partial({ discount: Money }))),
  ],
  'PlaceOrderLine',
);
export type PlaceOrderLine = t.TypeOf<typeof PlaceOrderLine>;

/** `pricing` is the breakdown of the line discounts; an order without promotions may leave it out. */
export const PlaceOrder = t.intersection(
  [
    t.readonly(
      t.strict({
        type: t.literal('PlaceOrder'),
        orderId: OrderId,
        customerId: CustomerId,
        currency: Currency,
        lines: checked(t.readonlyArray(PlaceOrderLine), 'PlaceOrderLines', lineListProblem),
        paymentToken: PaymentToken,
        at: Timestamp,
      }),
    ),
    t.readonly(
      t.exact(t.partial({ pricing: OrderPricing, channel: ChannelId, tradeType: TradeType, terms: OrderTerms })),
    ),
  ],
  'PlaceOrder',
);
export type PlaceOrder = t.TypeOf<typeof PlaceOrder>;

/** `paid` is what the payment centre captured: the whole total or less (a partial capture). */
export const ConfirmOrder = t.readonly(
  t.strict({ type: t.literal('ConfirmOrder'), orderId: OrderId, paid: Money, at: Timestamp }, 'ConfirmOrder'),
  'ConfirmOrder',
);
export type ConfirmOrder = t.TypeOf<typeof ConfirmOrder>;

export const ShipOrder = t.readonly(
  t.strict({ type: t.literal('ShipOrder'), orderId: OrderId, at: Timestamp }, 'ShipOrder'),
  'ShipOrder',
);
export type ShipOrder = t.TypeOf<typeof ShipOrder>;

export const CancelOrder = t.readonly(
  t.strict({ type: t.literal('CancelOrder'), orderId: OrderId, reason: Reason, at: Timestamp }, 'CancelOrder'),
  'CancelOrder',
);
export type CancelOrder = t.TypeOf<typeof CancelOrder>;

export const RefundLine = t.readonly(t.strict({ sku: Sku, quantity: Quantity }, 'RefundLine'), 'RefundLine');
export type RefundLine = t.TypeOf<typeof RefundLine>;

/**
 * Refund the whole remaining amount (neither `lines` nor `amount`), some lines (`lines`), or a sum of money
 * (`amount`). Giving both is rejected by the decider (AmbiguousRefund) rather than the codec, so the client
 * hears a business reason.
 */
export const RequestRefund = t.readonly(
  t.exact(
    t.intersection([
      t.type({
        type: t.literal('RequestRefund'),
        orderId: OrderId,
        refundId: RefundId,
        reason: Reason,
        restock: t.boolean,
        at: Timestamp,
      }),
      t.partial({
        lines: checked(t.readonlyArray(RefundLine), 'RefundLines', lineListProblem),
        amount: Money,
      }),
    ]),
    'RequestRefund',
  ),
  'RequestRefund',
);
export type RequestRefund = t.TypeOf<typeof RequestRefund>;

export const CompleteRefund = t.readonly(
  t.strict(
    { type: t.literal('CompleteRefund'), orderId: OrderId, refundId: RefundId, at: Timestamp },
    'CompleteRefund',
  ),
  'CompleteRefund',
);
export type CompleteRefund = t.TypeOf<typeof CompleteRefund>;

export const FailRefund = t.readonly(
  t.strict(
    { type: t.literal('FailRefund'), orderId: OrderId, refundId: RefundId, reason: Reason, at: Timestamp },
    'FailRefund',
  ),
  'FailRefund',
);
export type FailRefund = t.TypeOf<typeof FailRefund>;

/** The fulfilment saga captured a pre-sale's deposit: the order waits for its balance. */
export const RecordDeposit = t.readonly(
  t.strict({ type: t.literal('RecordDeposit'), orderId: OrderId, paid: Money, at: Timestamp }, 'RecordDeposit'),
  'RecordDeposit',
);
export type RecordDeposit = t.TypeOf<typeof RecordDeposit>;

/** The customer pays a pre-sale's balance with a token from the storefront's payment form. */
export const PayBalance = t.readonly(
  t.strict(
    { type: t.literal('PayBalance'), orderId: OrderId, paymentToken: PaymentToken, at: Timestamp },
    'PayBalance',
  ),
  'PayBalance',
);
export type PayBalance = t.TypeOf<typeof PayBalance>;

/** A cash-on-delivery order was handed over and `collected` taken in cash (it must be the order's total). */
export const DeliverOrder = t.readonly(
  t.strict({ type: t.literal('DeliverOrder'), orderId: OrderId, collected: Money, at: Timestamp }, 'DeliverOrder'),
  'DeliverOrder',
);
export type DeliverOrder = t.TypeOf<typeof DeliverOrder>;

/** The customer refused a cash-on-delivery order at the door: the order closes, its stock goes back. */
export const RefuseDelivery = t.readonly(
  t.strict({ type: t.literal('RefuseDelivery'), orderId: OrderId, reason: Reason, at: Timestamp }, 'RefuseDelivery'),
  'RefuseDelivery',
);
export type RefuseDelivery = t.TypeOf<typeof RefuseDelivery>;

/** The commands of the pre-sale and cash-on-delivery trade types (decided in `trade.ts`). */
export type TradeCommand = RecordDeposit | PayBalance | DeliverOrder | RefuseDelivery;

export const OrderCommand = t.union(
  [
    PlaceOrder,
    ConfirmOrder,
    ShipOrder,
    CancelOrder,
    RequestRefund,
    CompleteRefund,
    FailRefund,
    RecordDeposit,
    PayBalance,
    DeliverOrder,
    RefuseDelivery,
    PlanShipments,
    ShipShipment,
  ],
  'OrderCommand',
);
export type OrderCommand = t.TypeOf<typeof OrderCommand>;

/** Codec per command type, so an edge that knows the type can decode with errors about that command only. */
export const orderCommandCodecs = {
  PlaceOrder,
  ConfirmOrder,
  ShipOrder,
  CancelOrder,
  RequestRefund,
  CompleteRefund,
  FailRefund,
  RecordDeposit,
  PayBalance,
  DeliverOrder,
  RefuseDelivery,
  PlanShipments,
  ShipShipment,
} as const;
