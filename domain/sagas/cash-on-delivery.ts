import { absurd, zero, type Timestamp } from '../shared';
import type { OrderPlaced } from '../order';
import { effects, type OutgoingCommand, type SagaEffects } from './saga';
import type { CodConfirmed, DeliveryRecorded, FulfilmentEvent, TradeStarted } from './fulfilment-events';
import type { CouponProgress, FulfilmentData, LineProgress, StartedFulfilment } from './fulfilment-state';
import type { FulfilmentInput } from './fulfilment-input';
import { couponRedemption, fulfilmentCancelReasons, fulfilmentCommandIds as ids } from './fulfilment-ids';

/**
 * The cash-on-delivery branch of the fulfilment saga: no authorization, no payment timeout once confirmed.
 *
 *   Reserving ─CodConfirmed (every line and the coupon held; paid 0)→ Confirmed ─DeliveryRecorded→ Completed
 *                                                                      └ DeliveryRefused → Cancelled (stock released)
 *
 * The stock stays reserved until delivery (a shipment commits nothing: a refused parcel comes back) and is committed
 * when the order is delivered, together with the cash the payment centre records (RecordCashPayment). The timeout
 * set at the start only guards the reservations; the confirmation cancels it.
 */

export type CodStarted = Extract<TradeStarted, { type: 'cod' }>;

type Events = readonly FulfilmentEvent[];
const none: Events = [];

export const codStart = (input: OrderPlaced): CodStarted | undefined =>
  input.tradeType === 'cod' ? { type: 'cod' } : undefined;

const reservedSkus = (lines: readonly LineProgress[]) => lines.filter((l) => l.status === 'reserved').map((l) => l.sku);

/**
 * Every line and the coupon are held (the input that made it so is still pending in the state): the order is
 * confirmed with nothing paid. Takes the place of the standard flow's first AuthorizationRequested.
 */
export const codConfirmation = (state: FulfilmentData, at: Timestamp): CodConfirmed => {
  const coupon = state.coupon;
  const redeemCoupon =
    coupon !== null && (coupon.status === 'pending' || coupon.status === 'reserved') ? coupon.code : undefined;
  return {
    type: 'CodConfirmed',
    orderId: state.orderId,
    paid: zero(state.total.currency),
    cancelDeadlines: state.deadlines.filter((d) => d.kind === 'PaymentTimeout').map((d) => d.deadlineId),
    ...(redeemCoupon === undefined ? {} : { redeemCoupon }),
    at,
  };
};

/** Cash on delivery's reaction to an input, or undefined when the standard flow decides. */
export const reactCod = (input: FulfilmentInput, state: StartedFulfilment): Events | undefined => {
  switch (input.type) {
    case 'OrderShipped':
    case 'ShipmentShipped':
      // nothing to commit yet: the customer may still refuse the parcel
      return none;
    case 'OrderDelivered':
      return state.status === 'Confirmed'
        ? [
            {
              type: 'DeliveryRecorded',
              orderId: state.orderId,
              commit: reservedSkus(state.lines),
              collected: input.collected,
              at: input.at,
            },
          ]
        : none;
    case 'DeliveryRefused': {
      if (state.status !== 'Confirmed') return none;
      const coupon: CouponProgress | null = state.coupon;
      const releaseCoupon =
        coupon !== null && (coupon.status === 'reserved' || coupon.status === 'redeemed') ? coupon.code : undefined;
      // the order centre closed the order itself (Cancelled, delivery_refused): give back what it held
      return [
        {
          type: 'CompensationStarted',
          orderId: state.orderId,
          reason: fulfilmentCancelReasons.deliveryRefused,
          by: 'customer',
          release: reservedSkus(state.lines),
          voidPayment: false,
          cancelDeadlines: state.deadlines.map((d) => d.deadlineId),
          ...(releaseCoupon === undefined ? {} : { releaseCoupon }),
          at: input.at,
        },
      ];
    }
    case 'OrderPlaced':
    case 'OrderCancelled':
    case 'StockReserved':
    case 'CouponReserved':
    case 'PaymentAuthorized':
    case 'PaymentDeclined':
    case 'PaymentAuthorizationFailed':
    case 'PaymentCaptured':
    case 'PaymentRefunded':
    case 'PaymentRefundFailed':
    case 'BalanceRequested':
    case 'DeadlineReached':
    case 'CommandRejected':
      return undefined;
    default:
      return absurd(input);
  }
};

export type CodEvent = CodConfirmed | DeliveryRecorded;

export const evolveCod = (state: StartedFulfilment, event: CodEvent): StartedFulfilment => {
  switch (event.type) {
    case 'CodConfirmed':
      return state.status === 'Reserving'
        ? {
            ...state,
            status: 'Confirmed',
            paid: event.paid,
            confirmedAt: event.at,
            // it records the last reservation, as AuthorizationRequested does in the standard flow
            lines: state.lines.map((l) => (l.status === 'pending' ? { ...l, status: 'reserved' } : l)),
            coupon:
              state.coupon !== null && event.redeemCoupon !== undefined
                ? { ...state.coupon, status: 'redeemed' }
                : state.coupon,
            deadlines: state.deadlines.filter((d) => !event.cancelDeadlines.includes(d.deadlineId)),
          }
        : state;
    case 'DeliveryRecorded':
      return state.status === 'Confirmed'
        ? {
            ...state,
            status: 'Completed',
            lines: state.lines.map((l) => (event.commit.includes(l.sku) ? { ...l, status: 'committed' } : l)),
            shippedAt: event.at,
          }
        : state;
    default:
      return absurd(event);
  }
};

export const codOutbox = (event: CodEvent): SagaEffects => {
  const { orderId, at } = event;
  switch (event.type) {
    case 'CodConfirmed':
      return effects({
        commands: [
          {
            target: 'order',
            commandId: ids.confirm(orderId),
            command: { type: 'ConfirmOrder', orderId, paid: event.paid, at },
          },
          ...couponRedemption(orderId, event.redeemCoupon, at),
        ],
        cancel: event.cancelDeadlines,
      });
    case 'DeliveryRecorded':
      return effects({
        commands: [
          ...event.commit.map((sku): OutgoingCommand => ({
            target: 'inventory',
            commandId: ids.commit(orderId, sku),
            command: { type: 'CommitReservation', sku, orderId, at },
          })),
          {
            target: 'payment',
            commandId: ids.recordCash(orderId),
            command: { type: 'RecordCashPayment', orderId, amount: event.collected, at },
          },
        ],
      });
    default:
      return absurd(event);
  }
};
