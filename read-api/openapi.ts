import type { JsonSchema } from '../infra/http/json-schema';
import type { OperationSpec } from '../infra/http/openapi';
import { ListOrdersQuery, ListSkusQuery, ReadOnlyQuery, SalesQuery } from './queries';

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
    query: ReadOnlyQuery,
    success: { status: 200, description: 'the payment', schema: doc('payment') },
    problems: [404],
  },
  {
    method: 'get',
    path: '/v1/stats/sales',
    operationId: 'salesStats',
    summary: 'Sales per hour or day: orders placed/confirmed/cancelled, revenue, refunds, top SKUs',
    scope: 'read',
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
    problems: [],
  },
  {
    method: 'get',
    path: '/v1/projections',
    operationId: 'listProjections',
    summary: 'Each projection with its version, position, lag and document count',
    scope: 'read',
    success: { status: 200, description: 'projection status', schema: doc('head position and projections') },
    problems: [],
  },
];
