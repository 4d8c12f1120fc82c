import { CouponCode, PromotionId, Sku } from '../../domain/shared';
import { toJsonSchema, type JsonSchema } from '../../http/json-schema';
import type { OperationSpec } from '../../http/openapi';
import { idempotencyKey, money, position, skuState } from './openapi';
import {
  CouponBody,
  EndPromotionBody,
  PromotionBody,
  PromotionRuleBody,
  PurchaseLimitBody,
  QuoteBody,
} from './marketing-requests';

const text: JsonSchema = { type: 'string' };
const integer: JsonSchema = { type: 'integer' };

const promotion: JsonSchema = {
  type: 'object',
  properties: {
    promotionId: text,
    name: text,
    currency: text,
    validFrom: text,
    validUntil: text,
    priority: integer,
    exclusive: { type: 'boolean' },
    requiresCoupon: { type: 'boolean' },
    rule: toJsonSchema(PromotionRuleBody),
    definedAt: text,
    endedAt: text,
    position,
  },
  required: [
    'promotionId',
    'name',
    'currency',
    'validFrom',
    'priority',
    'exclusive',
    'requiresCoupon',
    'rule',
    'position',
  ],
};

const coupon: JsonSchema = {
  type: 'object',
  properties: {
    code: text,
    promotionId: text,
    totalLimit: integer,
    perCustomerLimit: integer,
    reserved: { ...integer, description: 'orders holding the coupon until they are paid or cancelled' },
    redeemed: { ...integer, description: 'paid orders that used it' },
    redemptionsLeft: integer,
    position,
  },
  required: [
    'code',
    'promotionId',
    'totalLimit',
    'perCustomerLimit',
    'reserved',
    'redeemed',
    'redemptionsLeft',
    'position',
  ],
};

const amountOf = (name: string): JsonSchema => ({
  type: 'object',
  properties: { [name]: text, amount: money },
  required: [name, 'amount'],
});

const quote: JsonSchema = {
  type: 'object',
  properties: {
    customerId: text,
    currency: text,
    lines: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          sku: text,
          quantity: integer,
          unitPrice: money,
          listTotal: money,
          discount: money,
          lineTotal: { ...money, description: 'what the customer pays for the line' },
          available: { ...integer, description: 'units the SKU has available now' },
        },
        required: ['sku', 'quantity', 'unitPrice', 'listTotal', 'discount', 'lineTotal', 'available'],
      },
    },
    listTotal: money,
    discount: money,
    total: money,
    promotions: {
      type: 'array',
      description: 'every promotion that took something off, in the order applied',
      items: {
        type: 'object',
        properties: {
          promotionId: text,
          name: text,
          amount: money,
          viaCoupon: { type: 'boolean' },
          lines: { type: 'array', items: amountOf('sku') },
        },
        required: ['promotionId', 'name', 'amount', 'viaCoupon', 'lines'],
      },
    },
    coupon: {
      type: 'object',
      properties: {
        code: text,
        promotionId: text,
        applied: { type: 'boolean' },
        redemptionsLeft: integer,
      },
      required: ['code', 'applied', 'redemptionsLeft'],
    },
    refusals: {
      type: 'array',
      description: 'what placing this order now would be refused for (the problem type of each)',
      items: {
        type: 'object',
        properties: { code: text, message: text, details: { type: 'object' } },
        required: ['code', 'message'],
      },
    },
    pricedAt: text,
    channel: { ...text, description: 'the channel priced for: its promotions only, its refusals among the others' },
  },
  required: [
    'customerId',
    'currency',
    'lines',
    'listTotal',
    'discount',
    'total',
    'promotions',
    'refusals',
    'pricedAt',
    'channel',
  ],
};

const byPromotion = { params: { promotionId: PromotionId }, headers: idempotencyKey };

export const marketingOperations: readonly OperationSpec[] = [
  {
    method: 'put',
    path: '/v1/promotions/{promotionId}',
    operationId: 'definePromotion',
    summary: 'Create or replace a promotion',
    scope: 'marketing:write',
    ...byPromotion,
    body: PromotionBody,
    success: {
      status: 200,
      description: 'replaced, or unchanged',
      schema: promotion,
      also: [{ status: 201, description: 'created' }],
    },
    problems: [409, 422],
  },
  {
    method: 'post',
    path: '/v1/promotions/{promotionId}/end',
    operationId: 'endPromotion',
    summary: 'End a promotion now',
    scope: 'marketing:write',
    ...byPromotion,
    body: EndPromotionBody,
    success: { status: 200, description: 'ended (or ended before)', schema: promotion },
    problems: [404, 409, 422],
  },
  {
    method: 'put',
    path: '/v1/coupons/{code}',
    operationId: 'defineCoupon',
    summary: 'Create or change a coupon: its promotion, total and per-customer limits',
    scope: 'marketing:write',
    params: { code: CouponCode },
    headers: idempotencyKey,
    body: CouponBody,
    success: {
      status: 200,
      description: 'changed, or unchanged',
      schema: coupon,
      also: [{ status: 201, description: 'created' }],
    },
    problems: [409, 422],
  },
  {
    method: 'put',
    path: '/v1/skus/{sku}/purchase-limit',
    operationId: 'setPurchaseLimit',
    summary: 'Limit the units of a SKU one customer may hold in live orders (null removes the limit)',
    scope: 'marketing:write',
    params: { sku: Sku },
    headers: idempotencyKey,
    body: PurchaseLimitBody,
    success: { status: 200, description: 'set', schema: skuState },
    problems: [404, 409, 422],
  },
  {
    method: 'post',
    path: '/v1/quotes',
    operationId: 'quoteOrder',
    summary: 'Price an order as placing it now would, with what placing it now would be refused for',
    scope: 'orders:write',
    body: QuoteBody,
    success: { status: 200, description: 'priced', schema: quote },
    problems: [422],
  },
];
