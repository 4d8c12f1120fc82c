import { OrderId } from '../../domain/shared';
import type { JsonSchema } from '../../http/json-schema';
import type { OperationSpec } from '../../http/openapi';
import { idempotencyKey, position } from './openapi';
import { DeliverBody, PayBalanceBody, RefuseDeliveryBody } from './trade-requests';

const byOrder = { params: { orderId: OrderId }, headers: idempotencyKey };

const orderAccepted: JsonSchema = {
  type: 'object',
  properties: { orderId: { type: 'string' }, status: { type: 'string' }, position },
  required: ['orderId', 'status', 'position'],
};

/** The pre-sale and cash-on-delivery routes (commands/api/trade-routes.ts). */
export const tradeOperations: readonly OperationSpec[] = [
  {
    method: 'post',
    path: '/v1/orders/{orderId}/balance',
    operationId: 'payBalance',
    summary:
      "Pay a pre-sale's balance (total less the deposit) in its window: 422 balance-window-not-open before " +
      'balanceFrom, balance-window-closed from balanceUntil, not-a-presale; 409 deposit-not-paid, balance-already-paid. ' +
      'The saga authorizes and captures it and confirms the order; a declined balance may be paid again until the window closes',
    scope: 'orders:write',
    ...byOrder,
    body: PayBalanceBody,
    success: { status: 202, description: 'balance payment asked for (status AwaitingBalance)', schema: orderAccepted },
    problems: [404, 409, 422],
  },
  {
    method: 'post',
    path: '/v1/orders/{orderId}/deliver',
    operationId: 'deliverOrder',
    summary:
      'Record a cash-on-delivery order handed over, with the cash collected (it must be the total: else 422 ' +
      'collected-amount-mismatch); the stock is committed and the payment centre records the cash',
    scope: 'orders:write',
    ...byOrder,
    body: DeliverBody,
    success: { status: 202, description: 'delivered (status Delivered)', schema: orderAccepted },
    problems: [404, 409, 422],
  },
  {
    method: 'post',
    path: '/v1/orders/{orderId}/delivery-refused',
    operationId: 'refuseDelivery',
    summary:
      'Record a cash-on-delivery order refused at the door: the order is closed (Cancelled, reason delivery_refused) ' +
      'and its stock released',
    scope: 'orders:write',
    ...byOrder,
    body: RefuseDeliveryBody,
    success: { status: 202, description: 'refused (status Cancelled)', schema: orderAccepted },
    problems: [404, 409, 422],
  },
];
