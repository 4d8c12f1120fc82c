import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { StoreUnavailableError } from '../ports/event-store';
import { problemHandler } from './problem';

describe('problemHandler', () => {
  it('answers a store that cannot be reached with 503 problem+json and Retry-After', async () => {
    const app = express();
    app.get('/x', () => {
      throw new StoreUnavailableError('PostgreSQL', new Error('connect ECONNREFUSED'));
    });
    const logger = { warn: () => undefined, error: () => undefined } as unknown as Parameters<typeof problemHandler>[0];
    app.use(problemHandler(logger));
    const r = await request(app).get('/x');
    expect(r.status).to.equal(503);
    expect(r.headers['content-type']).to.match(/^application\/problem\+json/);
    expect(r.headers['retry-after']).to.equal('1');
    expect(JSON.parse(r.text)).to.deep.include({ status: 503, title: 'Store unavailable' });
  });
});
