import { expect } from 'chai';
import { commandOperations } from '../../commands/api/openapi';
import { startTestApi, type TestApi } from '../api-spec';

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
}

const concrete = (path: string): string => path.replace(/\{sku\}/g, 'MUG-1').replace(/\{orderId\}/g, 'o-1');

describe('the command API OpenAPI document', () => {
  let api: TestApi;
  let document: { openapi: string; paths: Record<string, Record<string, Operation>> };
  before(async () => {
    api = await startTestApi();
    document = (await fetch(`${api.url}/v1/openapi.json`).then((r) => r.json())) as typeof document;
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
});
