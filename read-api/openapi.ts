import { OrderId, Sku } from '../domain/shared';
import type { JsonSchema } from '../http/json-schema';
import type { HeaderSpec, OperationSpec } from '../http/openapi';
import { ListOrdersQuery, ListSkusQuery, MinPosition, ReadOnlyQuery, SalesQuery } from './queries';

/** Every read route honours and validates it (and `minPosition`) the same way. */
const headers: readonly HeaderSpec[] = [
  {
    name: 'X-Min-Position',
    codec: MinPosition,
    description: 'wait (bounded) until the read model reached this position from a command response',
  },
];

const page = (item: string): JsonSchema => ({
  type: 'object',
  properties: {
    items: { type: 'array', items: { type: 'object', description: item } },
    next: { type: 'string', description: 'cursor of the next page' },
  },
  required: ['items'],
});

const doc = (description: string): JsonSchema => ({ type: 'object', description });

export const readOperations: readonly OperationSpec[] = [
  {
    method: 'get',
    path: '/v1/orders',
    operationId: 'listOrders',
    summary: 'Orders, newest first, filtered by status, customer and placement time; cursor paging',
    scope: 'read',
    headers,
    query: ListOrdersQuery,
    success: {
      status: 200,
      description: 'a page of orders',
      schema: page('order summary with lines, totals, payment and timeline'),
    },
    problems: [],
  },
  {
    method: 'get',
    path: '/v1/orders/{orderId}',
    operationId: 'getOrder',
    summary: 'One order with its lines, amounts, payment, refunds and timeline',
    scope: 'read',
    params: { orderId: OrderId },
    headers,
    query: ReadOnlyQuery,
    success: { status: 200, description: 'the order', schema: doc('order detail') },
    problems: [404],
  },
  {
    method: 'get',
    path: '/v1/skus',
    operationId: 'listSkus',
    summary: 'Stock per SKU, by SKU; lowStock=true for those running out',
    scope: 'read',
    headers,
    query: ListSkusQuery,
    success: { status: 200, description: 'a page of SKUs', schema: page('sku stock') },
    problems: [],
  },
  {
    method: 'get',
    path: '/v1/skus/{sku}',
    operationId: 'getSku',
    summary: 'Stock and price of one SKU',
    scope: 'read',
    params: { sku: Sku },
    headers,
    query: ReadOnlyQuery,
    success: {
      status: 200,
      description: 'the SKU',
      schema: doc('sku stock: onHand, reserved, available, unitPrice, lowStock'),
    },
    problems: [404],
  },
  {
    method: 'get',
    path: '/v1/payments/{orderId}',
    operationId: 'getPayment',
    summary: "An order's payment: authorized, captured, refunded",
    scope: 'read',
    params: { orderId: OrderId },
    headers,
    query: ReadOnlyQuery,
    success: { status: 200, description: 'the payment', schema: doc('payment') },
    problems: [404],
  },
  {
    method: 'get',
    path: '/v1/stats/sales',
    operationId: 'salesStats',
    summary:
      'Sales per hour or day: orders placed/confirmed/cancelled, revenue, refunds, top SKUs; buckets starting in [from, to)',
    scope: 'read',
    headers,
    query: SalesQuery,
    success: {
      status: 200,
      description: 'buckets in time order',
      schema: {
        type: 'object',
        properties: {
          from: { type: 'string' },
          to: { type: 'string' },
          granularity: { type: 'string' },
          buckets: { type: 'array', items: { type: 'object' } },
        },
      },
    },
    // `to` not after `from`
    problems: [422],
  },
  {
    method: 'get',
    path: '/v1/projections',
    operationId: 'listProjections',
    summary: 'Each projection with its version, position, lag and document count',
    scope: 'read',
    headers,
    query: ReadOnlyQuery,
    success: { status: 200, description: 'projection status', schema: doc('head position and projections') },
    problems: [],
  },
];
