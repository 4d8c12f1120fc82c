import { expect } from 'chai';
import { allProjections, ordersProjection, type OrderDoc } from '../../projections';
import { foldStore } from '../../projections/fold';
import type { Projection } from '../../projections/projection';
import type { EventStore } from '../../ports/event-store';
import type { ReadStore } from '../../ports/read-store';
import { post, put, type TestApi } from '../api-spec';

export const defineMug = put('/v1/skus/MUG-1', { name: 'Mug', unitPrice: { amount: 1250, currency: 'EUR' } });

export const placeOrder = (id: string, quantity = 1) =>
  post('/v1/orders', {
    orderId: id,
    customerId: `cust-${id}`,
    lines: [{ sku: 'MUG-1', quantity }],
    payment: { token: 'tok_approve' },
  });

/**
 * Places `count` orders through the API, ids `<prefix>-0…`, and waits until every live projection shows them;
 * returns the last position.
 */
export const seedOrders = async (api: TestApi, count: number, prefix = 'seed'): Promise<number> => {
  expect((await api.request(defineMug)).status).to.be.within(200, 299);
  let position = 0;
  for (let i = 0; i < count; i++) {
    const response = await api.request(placeOrder(`${prefix}-${i}`, 1 + (i % 3)));
    expect(response.status, JSON.stringify(response.body)).to.equal(202);
    position = Number(response.body.position);
  }
  for (const { name } of allProjections) {
    expect(await api.engine.projections.waitFor(name, position, 10_000), `${name} caught up`).to.equal(true);
  }
  return position;
};

/** Asserts that every document of `collection` is what a fresh fold of the event store gives, and nothing more. */
export const expectEqualToFold = async <Doc>(
  projection: Projection<Doc>,
  eventStore: EventStore,
  readStore: ReadStore,
  collection: string,
): Promise<void> => {
  const reference = await foldStore(projection, eventStore);
  expect(await readStore.count(collection), `${collection} count`).to.equal(reference.size);
  const stored = await readStore.getMany(collection, [...reference.keys()]);
  for (const [id, doc] of reference) {
    expect(stored.get(id)?.body, `${collection}/${id}`).to.deep.equal(JSON.parse(JSON.stringify(doc)));
  }
};

/** The orders projection with a later version whose evolve changes what it stores (a deliberate difference). */
export const changedOrders = (): Projection<unknown> => ({
  name: ordersProjection.name,
  version: ordersProjection.version + 1,
  indexes: ordersProjection.indexes,
  eventTypes: ordersProjection.eventTypes,
  documentIds: ordersProjection.documentIds,
  evolve: (doc, e, id) => {
    const next = ordersProjection.evolve(doc as OrderDoc | null, e, id);
    return next.customerId === null ? next : { ...next, customerId: `changed-${next.customerId}` };
  },
});
