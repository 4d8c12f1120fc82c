import { OrderId, Sku } from '../../domain/shared';
import { maxOrderLines } from '../../domain/order';
import { toJsonSchema, type JsonSchema } from '../../http/json-schema';
import type { HeaderSpec, OperationSpec } from '../../http/openapi';
import {
  AdjustBody,
  CancelBody,
  DefineSkuBody,
  IdempotencyKeyHeader,
  PlaceOrderBody,
  RefundBody,
  RestockBody,
  ShipBody,
} from './requests';

// Every command reads Idempotency-Key, so each can answer 422 idempotency-key-mismatch (the key reused with other
// parameters) besides its own rule violations.
export const idempotencyKey: readonly HeaderSpec[] = [
  {
    name: 'Idempotency-Key',
    codec: IdempotencyKeyHeader,
    description: 'repeat a request with the same key to get the first result; nothing is applied twice',
  },
];
const bySku = { params: { sku: Sku }, headers: idempotencyKey };
const byOrder = { params: { orderId: OrderId }, headers: idempotencyKey };

export const money: JsonSchema = toJsonSchema(DefineSkuBody.props.unitPrice);
export const position: JsonSchema = {
  type: 'integer',
  minimum: 0,
  description: 'global log position of the last event; pass it as X-Min-Position to the read API',
};
export const skuState: JsonSchema = {
  type: 'object',
  properties: {
    sku: { type: 'string' },
    name: { type: 'string' },
    unitPrice: money,
    onHand: { type: 'integer' },
    reserved: { type: 'integer' },
    available: { type: 'integer' },
    purchaseLimit: {
      oneOf: [
        { type: 'null' },
        { type: 'object', properties: { perCustomer: { type: 'integer' } }, required: ['perCustomer'] },
      ],
      description: 'units of this SKU one customer may hold in live orders (null: no limit)',
    },
    warehouses: {
      type: 'object',
      description: 'stock per warehouse (main: where stock naming no warehouse goes); the levels above are their sums',
      additionalProperties: {
        type: 'object',
        properties: { onHand: { type: 'integer' }, reserved: { type: 'integer' }, available: { type: 'integer' } },
        required: ['onHand', 'reserved', 'available'],
      },
    },
    position,
  },
  required: ['sku', 'name', 'unitPrice', 'onHand', 'reserved', 'available', 'position'],
};
const orderAccepted: JsonSchema = {
  type: 'object',
  properties: { orderId: { type: 'string' }, status: { type: 'string' }, position },
  required: ['orderId', 'status', 'position'],
};

/** The customer and SKUs of a placement body, for limits per customer and per SKU; read before validation. */
const placementParameters = (body: unknown): { customerId?: string; skus?: readonly string[] } => {
  if (typeof body !== 'object' || body === null) return {};
  const { customerId, lines } = body as { customerId?: unknown; lines?: unknown };
  // a body with more lines than an order may have is refused by validation; admission looks at no more than that
  const skus = Array.isArray(lines)
    ? [
        ...new Set(
          lines
            .slice(0, maxOrderLines)
            .flatMap((line: unknown) =>
              typeof line === 'object' && line !== null && typeof (line as { sku?: unknown }).sku === 'string'
                ? [(line as { sku: string }).sku]
                : [],
            ),
        ),
      ]
    : [];
  return { ...(typeof customerId === 'string' ? { customerId } : {}), skus };
};

export const commandOperations: readonly OperationSpec[] = [
  {
    method: 'put',
    path: '/v1/skus/{sku}',
    operationId: 'defineSku',
    summary: 'Create or update a catalogue entry',
    scope: 'inventory:write',
    ...bySku,
    body: DefineSkuBody,
    success: {
      status: 200,
      description: 'updated, or unchanged',
      schema: skuState,
      also: [{ status: 201, description: 'created' }],
    },
    problems: [409, 422],
  },
  {
    method: 'post',
    path: '/v1/skus/{sku}/restock',
    operationId: 'restockSku',
    summary: 'Add units on hand',
    scope: 'inventory:write',
    ...bySku,
    body: RestockBody,
    success: { status: 200, description: 'restocked', schema: skuState },
    problems: [404, 409, 422],
  },
  {
    method: 'post',
    path: '/v1/skus/{sku}/adjust',
    operationId: 'adjustStock',
    summary: 'Correct units on hand by a signed delta',
    scope: 'inventory:write',
    ...bySku,
    body: AdjustBody,
    success: { status: 200, description: 'adjusted', schema: skuState },
    problems: [404, 409, 422],
  },
  {
    method: 'post',
    path: '/v1/orders',
    operationId: 'placeOrder',
    summary: 'Place an order; prices come from the catalogue',
    scope: 'orders:write',
    headers: idempotencyKey,
    body: PlaceOrderBody,
    success: { status: 202, description: 'accepted; fulfilment continues asynchronously', schema: orderAccepted },
    problems: [409, 422],
    hotParameters: placementParameters,
  },
  {
    method: 'post',
    path: '/v1/orders/{orderId}/cancel',
    operationId: 'cancelOrder',
    summary: 'Cancel an order before shipment',
    scope: 'orders:write',
    ...byOrder,
    body: CancelBody,
    success: { status: 202, description: 'cancelled', schema: orderAccepted },
    problems: [404, 409, 422],
  },
  {
    method: 'post',
    path: '/v1/orders/{orderId}/ship',
    operationId: 'shipOrder',
    summary: 'Mark a confirmed order shipped, or (warehouse) one shipment of a split order',
    scope: 'orders:write',
    ...byOrder,
    body: ShipBody,
    success: { status: 202, description: 'shipped', schema: orderAccepted },
    problems: [404, 409, 422],
  },
  {
    method: 'post',
    path: '/v1/orders/{orderId}/refunds',
    operationId: 'requestRefund',
    summary: 'Request a refund: whole order, some lines, or an amount',
    scope: 'refunds:write',
    ...byOrder,
    body: RefundBody,
    success: {
      status: 202,
      description: 'refund requested',
      schema: {
        type: 'object',
        properties: { orderId: { type: 'string' }, refundId: { type: 'string' }, status: { type: 'string' }, position },
        required: ['orderId', 'refundId', 'status', 'position'],
      },
    },
    problems: [404, 409, 422],
  },
];
