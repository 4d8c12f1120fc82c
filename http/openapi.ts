import type * as t from 'io-ts';
import { toJsonSchema, type JsonSchema } from './json-schema';
import type { ClosedShape } from './validate';
import type { Scope } from './auth';

/** One documented operation. The OpenAPI document and the route-coverage test are both built from this table. */
export interface OperationSpec {
  readonly method: 'get' | 'put' | 'post';
  /** OpenAPI path template, e.g. `/v1/orders/{orderId}/cancel` */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly scope: Scope;
  /** the codec of each `{name}` in the path; a template without one is documented as any string */
  readonly params?: Readonly<Record<string, t.Decoder<unknown, unknown>>>;
  readonly body?: ClosedShape;
  /** query parameters (a closed codec of strings) */
  readonly query?: ClosedShape;
  /** request headers the operation reads (auth is documented by `security`) */
  readonly headers?: readonly HeaderSpec[];
  readonly success: {
    readonly status: number;
    readonly description: string;
    readonly schema: JsonSchema;
    /** other success statuses with the same body, e.g. 201 when a PUT created the resource */
    readonly also?: readonly { readonly status: number; readonly description: string }[];
  };
  /** problem statuses this operation can answer besides 400/401/403/413/415 (and 429/503 under flow control) */
  readonly problems: readonly number[];
  /** what flow control limits per value besides the caller (hot parameters), read from a decoded-or-not body */
  readonly hotParameters?: (body: unknown) => { readonly customerId?: string; readonly skus?: readonly string[] };
}

export interface HeaderSpec {
  readonly name: string;
  readonly codec: t.Decoder<unknown, unknown>;
  readonly description: string;
}

export interface DocumentOptions {
  /** API keys are configured: every operation needs a bearer key (401) with its scope (403) */
  readonly secured: boolean;
  /** flow control admits requests: any operation may be refused (429), and sheddable ones shed (503) */
  readonly flowControl?: boolean;
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
  415: 'the body is not application/json',
  422: 'well-formed, but a business rule or a rule beyond the schema (see the description) is broken',
  429: 'a flow-control limit refused the request before it ran (nothing was applied); retry after `Retry-After` seconds',
  503: 'the engine sheds this operation while it catches up, or a dependency is down; retry after `Retry-After` seconds',
};

const pathParams = (op: OperationSpec): JsonSchema[] =>
  [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => {
    const name = m[1] ?? '';
    const codec = op.params?.[name];
    return { name, in: 'path', required: true, schema: codec ? toJsonSchema(codec) : { type: 'string' } };
  });

/**
 * The document the server answers by: each operation's statuses are those this configuration can produce, so
 * without API keys (an open, loopback-only engine) there is no security requirement and no 401/403.
 */
export const openApiDocument = (
  title: string,
  operations: readonly OperationSpec[],
  options: DocumentOptions = { secured: true },
): JsonSchema => {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    // 400 also answers a malformed path parameter, query or header, which every operation reads
    const problems = [
      ...new Set([
        400,
        ...(options.secured ? [401, 403] : []),
        ...op.problems,
        ...(op.body ? [413, 415] : []),
        ...(options.flowControl === true ? [429, 503] : []),
      ]),
    ].sort((a, b) => a - b);
    const responses: Record<string, unknown> = {};
    for (const success of [op.success, ...(op.success.also ?? [])]) {
      responses[String(success.status)] = {
        description: success.description,
        content: { 'application/json': { schema: op.success.schema } },
      };
    }
    for (const status of problems) {
      responses[String(status)] = {
        description: statusText[status] ?? 'error',
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      };
    }
    const query = op.query;
    const parameters = [
      ...pathParams(op),
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
      ...(op.headers ?? []).map((h) => ({
        name: h.name,
        in: 'header',
        required: false,
        schema: toJsonSchema(h.codec),
        description: h.description,
      })),
    ];
    paths[op.path] = {
      ...paths[op.path],
      [op.method]: {
        operationId: op.operationId,
        summary: op.summary,
        ...(options.secured ? { security: [{ apiKey: [op.scope] }] } : {}),
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
      ...(options.secured
        ? {
            securitySchemes: {
              apiKey: {
                type: 'http',
                scheme: 'bearer',
                description:
                  'API key with scopes orders:write, refunds:write, inventory:write, marketing:write, read, admin',
              },
            },
          }
        : {}),
    },
  };
};
