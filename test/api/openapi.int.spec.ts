import { expect } from 'chai';
import { commandOperations } from '../../commands/api/openapi';
import { readOperations } from '../../read-api/openapi';
import { get, post, put, scenario, startTestApi, type TestApi } from '../api-spec';

interface Operation {
  readonly operationId: string;
  readonly requestBody?: {
    content: {
      'application/json': {
        schema: { properties: Record<string, unknown>; required?: string[]; additionalProperties: boolean };
      };
    };
  };
  readonly responses: Record<string, unknown>;
  readonly security?: unknown;
  readonly parameters: { name: string; in: string; schema: Record<string, unknown> }[];
}

type Schema = Record<string, unknown> & { properties?: Record<string, Schema>; items?: Schema };

interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes?: unknown };
}

const fetchDocument = async (api: TestApi): Promise<Document> =>
  (await fetch(`${api.url}/v1/openapi.json`).then((r) => r.json())) as Document;

const concrete = (path: string): string =>
  path
    .replace(/\{sku\}/g, 'MUG-1')
    .replace(/\{orderId\}/g, 'o-1')
    .replace(/\{promotionId\}/g, 'spring-10')
    .replace(/\{code\}/g, 'SPRING-10');

describe('the command API OpenAPI document', () => {
  let api: TestApi;
  let document: Document;
  before(async () => {
    api = await startTestApi();
    document = await fetchDocument(api);
  });
  after(async () => {
    await api.close();
  });

  it('is OpenAPI 3 and documents every command operation', () => {
    expect(document.openapi).to.match(/^3\./);
    for (const op of commandOperations) {
      expect(document.paths[op.path]?.[op.method]?.operationId, `${op.method} ${op.path}`).to.equal(op.operationId);
    }
  });

  it('documents only routes the server serves', async () => {
    for (const op of commandOperations) {
      const response = await fetch(`${api.url}${concrete(op.path)}`, {
        method: op.method.toUpperCase(),
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      const body = (await response.json()) as { type?: string };
      expect(body.type, `${op.method} ${op.path}`).not.to.equal('/problems/not-found');
    }
  });

  describe('request bodies, checked against the codecs the server decodes with', () => {
    for (const op of commandOperations) {
      const codec = op.body;
      if (codec === undefined) continue;
      it(`${op.operationId}: lists the codec's fields, requires the required ones and forbids others`, async () => {
        const schema = document.paths[op.path]?.[op.method]?.requestBody?.content['application/json'].schema;
        expect(schema, op.operationId).to.not.equal(undefined);
        expect(Object.keys(schema?.properties ?? {})).to.have.members([
          ...Object.keys(codec.props),
          ...Object.keys(codec.optional),
        ]);
        expect(schema?.required ?? []).to.have.members(Object.keys(codec.props));
        expect(schema?.additionalProperties).to.equal(false);
        // …and the server really behaves so: an empty body names every required field, an extra field is refused
        const response = await fetch(`${api.url}${concrete(op.path)}`, {
          method: op.method.toUpperCase(),
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ notAField: 1 }),
        });
        expect(response.status).to.equal(400);
        const problem = (await response.json()) as { errors: { field: string }[] };
        const fields = problem.errors.map((e) => e.field);
        expect(fields).to.include('notAField');
        for (const required of Object.keys(codec.props)) expect(fields).to.include(required);
      });
    }
  });

  const operation = (path: string, method: string): Operation => {
    const op = document.paths[path]?.[method];
    if (op === undefined) throw new Error(`${method} ${path} is not documented`);
    return op;
  };
  const bodySchema = (path: string, method: string): Schema =>
    (operation(path, method).requestBody?.content['application/json'].schema ?? {}) as Schema;
  const parameter = (path: string, method: string, name: string): Schema => {
    const found = operation(path, method).parameters.find((p) => p.name === name);
    if (found === undefined) throw new Error(`${method} ${path} documents no ${name}`);
    return found.schema;
  };
  const statuses = (path: string, method: string): string[] => Object.keys(operation(path, method).responses);

  describe('where the fuzzer found the document and the server disagreeing', () => {
    it('documents 201 for a PUT that creates a SKU, and 200 when it updates one', async () => {
      expect(statuses('/v1/skus/{sku}', 'put')).to.include.members(['200', '201']);
      const mug = { name: 'Mug', unitPrice: { amount: 1200, currency: 'EUR' } };
      await scenario(api).when(put('/v1/skus/DOC-1', mug)).then(201);
      await scenario(api)
        .when(put('/v1/skus/DOC-1', { ...mug, name: 'Big mug' }))
        .then(200);
    });

    it('documents the path ids as the codecs check them, and the server refuses a non-ASCII id', async () => {
      for (const op of [...commandOperations, ...readOperations]) {
        for (const name of [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '')) {
          expect(parameter(op.path, op.method, name).pattern, `${op.operationId} ${name}`).to.be.a('string');
        }
      }
      expect(new RegExp(String(parameter('/v1/skus/{sku}', 'get', 'sku').pattern)).test('MUGé')).to.equal(false);
      await scenario(api).when(get('/v1/skus/MUG%C3%A9')).then(400);
      await scenario(api).when(post('/v1/orders/%C3%A9/ship', {})).then(400);
    });

    it('documents a non-blank payment token of 1..200 characters, as the server checks it', async () => {
      const token = bodySchema('/v1/orders', 'post').properties?.payment?.properties?.token;
      expect(token).to.include({ minLength: 1, maxLength: 200 });
      expect(new RegExp(String(token?.pattern)).test(' \t\u00a0')).to.equal(false);
      for (const bad of ['', '   ']) {
        await scenario(api)
          .when(
            post('/v1/orders', {
              customerId: 'c-1',
              lines: [{ sku: 'MUG-1', quantity: 1 }],
              payment: { token: bad },
            }),
          )
          .thenProblem(400, '/problems/validation-failed');
      }
    });

    it('documents that lines hold 1..100 items, and the server refuses none with 400', async () => {
      const lines = bodySchema('/v1/orders/{orderId}/refunds', 'post').properties?.lines;
      expect(lines).to.include({ minItems: 1, maxItems: 100 });
      expect(bodySchema('/v1/orders', 'post').properties?.lines).to.include({ minItems: 1, maxItems: 100 });
      await scenario(api)
        .when(post('/v1/orders/o-1/refunds', { reason: 'broken', lines: [] }))
        .thenProblem(400, '/problems/validation-failed');
    });

    it('documents that a stock adjustment is not zero', async () => {
      expect(bodySchema('/v1/skus/{sku}/adjust', 'post').properties?.delta).to.deep.include({
        type: 'integer',
        not: { const: 0 },
      });
      await scenario(api)
        .when(post('/v1/skus/DOC-1/adjust', { delta: 0, reason: 'count' }))
        .thenProblem(400, '/problems/validation-failed');
    });

    it('documents the largest price the server takes, and the server takes exactly that', async () => {
      const amount = bodySchema('/v1/skus/{sku}', 'put').properties?.unitPrice?.properties?.amount;
      expect(amount).to.include({ type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
      const priced = (n: string): ReturnType<typeof put> => ({
        ...put('/v1/skus/DOC-2'),
        rawBody: `{"name":"Gold","unitPrice":{"amount":${n},"currency":"EUR"}}`,
      });
      await scenario(api)
        .when(priced(String(Number.MAX_SAFE_INTEGER)))
        .then(201);
      await scenario(api).when(priced('9007199254740992')).thenProblem(400, '/problems/validation-failed');
    });

    it('documents 422 for a sales window whose end is not after its start (JSON Schema cannot compare them)', () => {
      expect(statuses('/v1/stats/sales', 'get')).to.include('422');
      expect(parameter('/v1/stats/sales', 'get', 'from')).to.include({ format: 'date-time' });
    });

    it('documents date-times the server takes: UTC, and days that exist', async () => {
      const from = parameter('/v1/stats/sales', 'get', 'from');
      const pattern = new RegExp(String(from.pattern));
      expect(pattern.test('2026-03-01T10:00:00+01:00')).to.equal(false);
      expect(pattern.test('2026-03-01T24:00:00Z')).to.equal(false);
      await scenario(api)
        .when(get('/v1/stats/sales?from=2026-02-30T00:00:00Z&to=2026-03-05T00:00:00Z'))
        .thenProblem(400, '/problems/validation-failed');
    });
  });

  it('derives a typed schema for every parameter and body field (no codec falls through to a bare description)', () => {
    const untyped: string[] = [];
    const walk = (schema: Schema, where: string): void => {
      if (!['type', 'const', 'enum', 'oneOf', 'allOf'].some((k) => k in schema)) untyped.push(where);
      for (const [key, child] of Object.entries(schema.properties ?? {})) walk(child, `${where}.${key}`);
      if (schema.items) walk(schema.items, `${where}[]`);
    };
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        for (const p of op.parameters) walk(p.schema, `${method} ${path} ${p.name}`);
        const body = op.requestBody?.content['application/json'].schema;
        if (body) walk(body as Schema, `${method} ${path} body`);
      }
    }
    expect(untyped).to.deep.equal([]);
  });

  describe('the read position a client waits for', () => {
    const reads = readOperations.map((op) => ({ op, path: concrete(op.path) }));

    it('is documented on every read route with one schema: a whole number from 0', () => {
      for (const { op } of reads) {
        const header = parameter(op.path, op.method, 'X-Min-Position');
        expect(header, op.operationId).to.include({ type: 'integer', minimum: 0 });
        expect(parameter(op.path, op.method, 'minPosition'), op.operationId).to.deep.equal(header);
      }
    });

    it('is refused the same way on every read route when it is negative, empty or not a number', async () => {
      for (const { op, path } of reads) {
        const sep = path.includes('?') ? '&' : '?';
        const base =
          op.operationId === 'salesStats' ? `${path}?from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z` : path;
        const join = op.operationId === 'salesStats' ? '&' : sep;
        for (const bad of ['-1', '', 'soon', '1.5']) {
          const byHeader = await api.request(get(base, { 'X-Min-Position': bad }));
          // an empty header is no header at all over HTTP
          if (bad !== '') expect(byHeader.status, `${op.operationId} X-Min-Position: ${bad}`).to.equal(400);
          const byQuery = await api.request(get(`${base}${join}minPosition=${bad}`));
          expect(byQuery.status, `${op.operationId} ?minPosition=${bad}`).to.equal(400);
        }
        const fine = await api.request(get(base, { 'X-Min-Position': '0' }));
        expect(fine.status, `${op.operationId} X-Min-Position: 0`).to.be.oneOf([200, 404]);
      }
    });
  });

  describe('statuses and security, by configuration', () => {
    it('declares no security and no 401/403 on an open engine, which never answers them', () => {
      expect(document.components.securitySchemes).to.equal(undefined);
      for (const path of Object.values(document.paths)) {
        for (const op of Object.values(path)) {
          expect(op.security, op.operationId).to.equal(undefined);
          expect(Object.keys(op.responses), op.operationId).not.to.include.members(['401']);
          expect(Object.keys(op.responses), op.operationId).not.to.include.members(['403']);
        }
      }
    });

    it('documents 415 and 413 wherever a body is read', () => {
      for (const op of commandOperations) {
        if (op.body) expect(statuses(op.path, op.method), op.operationId).to.include.members(['413', '415']);
      }
    });

    it('with API_KEYS, requires a bearer key on every operation and documents 401 and 403', async () => {
      const keyed = await startTestApi({ API_KEYS: 'reader-key-1=read' });
      try {
        const secured = await fetchDocument(keyed);
        expect(secured.components.securitySchemes).to.have.property('apiKey');
        for (const op of [...commandOperations, ...readOperations]) {
          const documented = secured.paths[op.path]?.[op.method];
          expect(documented?.security, op.operationId).to.deep.equal([{ apiKey: [op.scope] }]);
          expect(Object.keys(documented?.responses ?? {}), op.operationId).to.include.members(['401', '403']);
        }
        const response = await fetch(`${keyed.url}/v1/skus`);
        expect(response.status).to.equal(401);
      } finally {
        await keyed.close();
      }
    });
  });
});
