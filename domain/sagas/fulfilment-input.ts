import type {
  BalanceRequested,
  DeliveryRefused,
  OrderCancelled,
  OrderDelivered,
  OrderPlaced,
  OrderShipped,
  ShipmentShipped,
} from '../order';
import type { StockReserved } from '../inventory';
import type { CouponReserved } from '../pricing';
import type {
  PaymentAuthorizationFailed,
  PaymentAuthorized,
  PaymentCaptured,
  PaymentDeclined,
  PaymentRefunded,
  PaymentRefundFailed,
} from '../payment';
import type { CommandRejected, DeadlineReached } from './saga';

/**
 * What the saga reacts to. `OrderConfirmed` is not among them: the saga confirms the order itself once the payment is
 * approved, and nothing it decides later depends on when the order centre recorded it (ADR 0012).
 */
export type FulfilmentInput =
  | OrderPlaced
  | OrderShipped
  // a split order: one warehouse's shipment left
  | ShipmentShipped
  | OrderCancelled
  | StockReserved
  | CouponReserved
  | PaymentAuthorized
  | PaymentDeclined
  | PaymentAuthorizationFailed
  | PaymentCaptured
  | PaymentRefunded
  | PaymentRefundFailed
  | DeadlineReached
  | CommandRejected
  // pre-sale: the customer pays the balance; cash on delivery: delivered or refused at the door
  | BalanceRequested
  | OrderDelivered
  | DeliveryRefused;
