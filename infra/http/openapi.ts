import { toJsonSchema, type JsonSchema } from './json-schema';
import type { ClosedShape } from './validate';
import type { Scope } from '../config';

/** One documented operation. The OpenAPI document and the route-coverage test are both built from this table. */
export interface OperationSpec {
  readonly method: 'get' | 'put' | 'post';
  /** OpenAPI path template, e.g. `/v1/orders/{orderId}/cancel` */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly scope: Scope;
  readonly body?: ClosedShape;
  /** query parameters (a closed codec of strings) */
  readonly query?: ClosedShape;
  readonly success: { readonly status: number; readonly description: string; readonly schema: JsonSchema };
  /** problem statuses this operation can answer besides 400/401/403/413 */
  readonly problems: readonly number[];
}

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
    const query = op.query;
    const parameters = [
      ...pathParams(op.path),
      ...(query
        ? [
            ...Object.entries(query.props).map(([name, c]) => ({
              name,
              in: 'query',
              required: true,
              schema: toJsonSchema(c),
            })),
            ...Object.entries(query.optional).map(([name, c]) => ({
              name,
              in: 'query',
              required: false,
              schema: toJsonSchema(c),
            })),
          ]
        : []),
      ...(op.method === 'get'
        ? [
            {
              name: 'X-Min-Position',
              in: 'header',
              required: false,
              schema: { type: 'integer', minimum: 0 },
              description: 'wait (bounded) until the read model reached this position from a command response',
            },
          ]
        : []),
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
