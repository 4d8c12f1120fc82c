import { toJsonSchema, type JsonSchema } from '../../infra/http/json-schema';
import type { ClosedShape } from '../../infra/http/validate';
import type { Scope } from '../../infra/config';
import { AdjustBody, CancelBody, DefineSkuBody, PlaceOrderBody, RefundBody, RestockBody, ShipBody } from './requests';

/** One documented operation. The OpenAPI document and the route-coverage test are both built from this table. */
export interface OperationSpec {
  readonly method: 'get' | 'put' | 'post';
  /** OpenAPI path template, e.g. `/v1/orders/{orderId}/cancel` */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly scope: Scope;
  readonly body?: ClosedShape;
  readonly success: { readonly status: number; readonly description: string; readonly schema: JsonSchema };
  /** problem statuses this operation can answer besides 400/401/403/413 */
  readonly problems: readonly number[];
}

const money: JsonSchema = toJsonSchema(DefineSkuBody.props.unitPrice);
const position: JsonSchema = {
  type: 'integer',
  minimum: 0,
  description: 'global log position of the last event; pass it as X-Min-Position to the read API',
};
const skuState: JsonSchema = {
  type: 'object',
  properties: {
    sku: { type: 'string' },
    name: { type: 'string' },
    unitPrice: money,
    onHand: { type: 'integer' },
    reserved: { type: 'integer' },
    available: { type: 'integer' },
    position,
  },
  required: ['sku', 'name', 'unitPrice', 'onHand', 'reserved', 'available', 'position'],
};
const orderAccepted: JsonSchema = {
  type: 'object',
  properties: { orderId: { type: 'string' }, status: { type: 'string' }, position },
  required: ['orderId', 'status', 'position'],
};

export const commandOperations: readonly OperationSpec[] = [
  {
    method: 'put',
    path: '/v1/skus/{sku}',
    operationId: 'defineSku',
    summary: 'Create or update a catalogue entry',
    scope: 'inventory:write',
    body: DefineSkuBody,
    success: { status: 200, description: 'updated (201 when created)', schema: skuState },
    problems: [409, 422],
  },
  {
    method: 'post',
    path: '/v1/skus/{sku}/restock',
    operationId: 'restockSku',
    summary: 'Add units on hand',
    scope: 'inventory:write',
    body: RestockBody,
    success: { status: 200, description: 'restocked', schema: skuState },
    problems: [404, 409],
  },
  {
    method: 'post',
    path: '/v1/skus/{sku}/adjust',
    operationId: 'adjustStock',
    summary: 'Correct units on hand by a signed delta',
    scope: 'inventory:write',
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
    body: PlaceOrderBody,
    success: { status: 202, description: 'accepted; fulfilment continues asynchronously', schema: orderAccepted },
    problems: [409, 422],
  },
  {
    method: 'post',
    path: '/v1/orders/{orderId}/cancel',
    operationId: 'cancelOrder',
    summary: 'Cancel an order before shipment',
    scope: 'orders:write',
    body: CancelBody,
    success: { status: 202, description: 'cancelled', schema: orderAccepted },
    problems: [404, 409],
  },
  {
    method: 'post',
    path: '/v1/orders/{orderId}/ship',
    operationId: 'shipOrder',
    summary: 'Mark a confirmed order shipped',
    scope: 'orders:write',
    body: ShipBody,
    success: { status: 202, description: 'shipped', schema: orderAccepted },
    problems: [404, 409],
  },
  {
    method: 'post',
    path: '/v1/orders/{orderId}/refunds',
    operationId: 'requestRefund',
    summary: 'Request a refund: whole order, some lines, or an amount',
    scope: 'refunds:write',
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

const problemSchema: JsonSchema = {
  type: 'object',
  properties: {
    type: { type: 'string', description: 'stable URI of the error kind, e.g. /problems/refund-exceeds-paid' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
  required: ['type', 'title', 'status', 'detail'],
};

const statusText: Readonly<Record<number, string>> = {
  400: 'malformed JSON, or a field that fails validation (each named in `errors`)',
  401: 'missing or unknown API key',
  403: 'the API key lacks the scope',
  404: 'unknown order or SKU',
  409: 'the current state forbids it, or concurrent changes exhausted the retries',
  413: 'body too large',
  422: 'a business rule is broken',
};

const pathParams = (path: string): JsonSchema[] =>
  [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));

export const openApiDocument = (title: string, operations: readonly OperationSpec[]): JsonSchema => {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const problems = [400, 401, 403, ...op.problems, ...(op.body ? [413] : [])];
    const responses: Record<string, unknown> = {
      [String(op.success.status)]: {
        description: op.success.description,
        content: { 'application/json': { schema: op.success.schema } },
      },
    };
    for (const status of problems) {
      responses[String(status)] = {
        description: statusText[status] ?? 'error',
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      };
    }
    const parameters = [
      ...pathParams(op.path),
      ...(op.method === 'get'
        ? []
        : [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
              description: 'repeat a request with the same key to get the first result; nothing is applied twice',
            },
          ]),
    ];
    paths[op.path] = {
      ...paths[op.path],
      [op.method]: {
        operationId: op.operationId,
        summary: op.summary,
        security: [{ apiKey: [op.scope] }],
        'x-required-scope': op.scope,
        parameters,
        ...(op.body
          ? { requestBody: { required: true, content: { 'application/json': { schema: toJsonSchema(op.body) } } } }
          : {}),
        responses,
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title, version: '1.0.0' },
    paths,
    components: {
      schemas: { Problem: problemSchema },
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'API key with scopes orders:write, refunds:write, inventory:write, read, admin',
        },
      },
    },
  };
};
