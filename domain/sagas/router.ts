import { absurd } from '../shared';
import type { DomainEvent } from '../centres';
import { fulfilmentSagaId, type FulfilmentInput } from './fulfilment';
import { refundSagaId, type RefundInput } from './refund';

export type { DomainEvent };

export type SagaName = 'fulfilment' | 'refund';

export type RoutedInput =
  | { readonly saga: 'fulfilment'; readonly sagaId: string; readonly input: FulfilmentInput }
  | { readonly saga: 'refund'; readonly sagaId: string; readonly input: RefundInput };

/**
 * Which saga instances an incoming domain event feeds. Timer firings and command rejections are not routed here:
 * the runner knows which saga set the deadline or sent the command.
 */
// pre-sale and cash on delivery feed the fulfilment saga too: the balance paid, the order delivered or refused
export const sagaInputsFor = (event: DomainEvent): readonly RoutedInput[] => {
  switch (event.type) {
    case 'OrderPlaced':
    case 'OrderShipped':
    case 'ShipmentShipped':
    case 'OrderCancelled':
    case 'StockReserved':
    case 'PaymentAuthorized':
    case 'PaymentDeclined':
    case 'PaymentAuthorizationFailed':
    case 'PaymentCaptured':
    case 'CouponReserved':
    case 'BalanceRequested':
    case 'OrderDelivered':
    case 'DeliveryRefused':
      return [{ saga: 'fulfilment', sagaId: fulfilmentSagaId(event.orderId), input: event }];
    case 'RefundRequested':
      return [{ saga: 'refund', sagaId: refundSagaId(event.orderId, event.refundId), input: event }];
    case 'PaymentRefunded':
    case 'PaymentRefundFailed':
      // the fulfilment saga refunds a cancelled order's capture itself; each saga ignores refunds not its own
      return [
        { saga: 'fulfilment', sagaId: fulfilmentSagaId(event.orderId), input: event },
        { saga: 'refund', sagaId: refundSagaId(event.orderId, event.refundId), input: event },
      ];
    // outcomes of the sagas' own commands that need no reaction, and events of work no saga coordinates
    case 'OrderConfirmed':
    case 'DepositPaid':
    case 'ShipmentsPlanned':
    case 'RefundCompleted':
    case 'RefundFailed':
    case 'SkuDefined':
    case 'SkuUpdated':
    case 'StockRestocked':
    case 'StockAdjusted':
    case 'ReservationReleased':
    case 'ReservationCommitted':
    case 'ReservationExpired':
    case 'PurchaseLimitSet':
    case 'PurchaseReturned':
    case 'PaymentVoided':
    case 'CashCollected':
    case 'PromotionDefined':
    case 'PromotionEnded':
    case 'CouponDefined':
    case 'CouponReleased':
    case 'CouponRedeemed':
    case 'ChannelDefined':
      return [];
    default:
      return absurd(event);
  }
};
