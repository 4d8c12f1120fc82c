import { CouponCode, OrderId, PromotionId, Sku } from '../domain/shared';
import type { JsonSchema } from '../http/json-schema';
import type { HeaderSpec, OperationSpec } from '../http/openapi';
import {
  ListCouponsQuery,
  ListOrdersQuery,
  ListPromotionsQuery,
  ListSkusQuery,
  MinPosition,
  PromotionQuery,
  ReadOnlyQuery,
  SalesQuery,
} from './queries';

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

const money: JsonSchema = {
  type: 'object',
  properties: { amount: { type: 'integer', description: 'minor units' }, currency: { type: 'string' } },
};

const nullableString: JsonSchema = { type: ['string', 'null'] };

const promotion: JsonSchema = {
  type: 'object',
  description:
    "a promotion: its definition (null until the book's definition is projected), its status at the request time, " +
    'and the orders placed with a discount from it, less those cancelled',
  properties: {
    promotionId: { type: 'string' },
    name: nullableString,
    currency: nullableString,
    rule: {
      type: ['object', 'null'],
      description: 'kind (PercentOff, AmountOffOrder, BuyNGetMFree, BundlePrice) and its fields',
    },
    priority: { type: ['integer', 'null'] },
    exclusive: { type: ['boolean', 'null'] },
    requiresCoupon: { type: ['boolean', 'null'] },
    validFrom: nullableString,
    validUntil: nullableString,
    endedAt: nullableString,
    status: {
      type: ['string', 'null'],
      enum: ['active', 'scheduled', 'ended', null],
      description: 'at the request time (or `at`): active from validFrom until validUntil or its end',
    },
    orders: { type: 'integer' },
    discountTotal: money,
    ordersCancelled: { type: 'integer' },
    discountCancelled: money,
  },
};

const coupon: JsonSchema = {
  type: 'object',
  description: 'a coupon and its use: orders holding a reservation or a redemption now, and what is left',
  properties: {
    code: { type: 'string' },
    promotionId: nullableString,
    totalLimit: { type: ['integer', 'null'] },
    perCustomerLimit: { type: ['integer', 'null'] },
    reserved: { type: 'integer' },
    redeemed: { type: 'integer' },
    released: { type: 'integer' },
    reservedTotal: { type: 'integer' },
    redemptionsLeft: { type: 'integer', description: 'totalLimit − reserved − redeemed, never below 0' },
  },
};

const pageOf = (item: JsonSchema, more: Readonly<Record<string, JsonSchema>> = {}): JsonSchema => ({
  type: 'object',
  properties: {
    ...more,
    items: { type: 'array', items: item },
    next: { type: 'string', description: 'cursor of the next page' },
  },
  required: ['items'],
});

export const readOperations: readonly OperationSpec[] = [
  {
    method: 'get',
    path: '/v1/orders',
    operationId: 'listOrders',
    summary:
      'Orders, newest first, filtered by status, customer, channel, trade type and placement time; cursor paging',
    scope: 'read',
    headers,
    query: ListOrdersQuery,
    success: {
      status: 200,
      description: 'a page of orders',
      schema: page('order summary with channel, trade type, lines, totals, payment and timeline'),
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
      schema: doc(
        'sku stock: onHand, reserved, available, unitPrice, lowStock, warehouses (the same levels per warehouse)',
      ),
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
      'Sales per hour or day: orders placed/confirmed/cancelled, revenue, refunds, top SKUs, discounts (per currency ' +
      'and per promotion, given at placement and taken back at cancellation), and byChannel (per channel: orders ' +
      'placed, units, order value and discounts per currency); buckets starting in [from, to)',
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
    path: '/v1/promotions',
    operationId: 'listPromotions',
    summary:
      'Promotions by id, with their discount totals; status=active|scheduled|ended as of the request time (or `at`); cursor paging',
    scope: 'read',
    headers,
    query: ListPromotionsQuery,
    success: {
      status: 200,
      description: 'a page of promotions, and the instant their status was computed at',
      schema: pageOf(promotion, { at: { type: 'string', description: 'the instant the status is computed at' } }),
    },
    problems: [],
  },
  {
    method: 'get',
    path: '/v1/promotions/{promotionId}',
    operationId: 'getPromotion',
    summary: 'One promotion: its definition, status, and the orders and discount it gave',
    scope: 'read',
    params: { promotionId: PromotionId },
    headers,
    query: PromotionQuery,
    success: { status: 200, description: 'the promotion', schema: promotion },
    problems: [404],
  },
  {
    method: 'get',
    path: '/v1/coupons',
    operationId: 'listCoupons',
    summary: 'Coupons by code, optionally of one promotion, with their use; cursor paging',
    scope: 'read',
    headers,
    query: ListCouponsQuery,
    success: { status: 200, description: 'a page of coupons', schema: pageOf(coupon) },
    problems: [],
  },
  {
    method: 'get',
    path: '/v1/coupons/{code}',
    operationId: 'getCoupon',
    summary: 'One coupon: its limits, reservations, redemptions and redemptions left',
    scope: 'read',
    params: { code: CouponCode },
    headers,
    query: ReadOnlyQuery,
    success: { status: 200, description: 'the coupon', schema: coupon },
    problems: [404],
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
