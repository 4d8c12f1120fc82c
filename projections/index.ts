import { ordersProjection } from './orders/projection';
import { paymentsProjection } from './payments/projection';
import type { Projection } from './projection';
import { salesProjection } from './sales/projection';
import { skusProjection } from './skus/projection';

export { decodeDomainEvent } from './events';
export { ordersProjection, type OrderDoc } from './orders/projection';
export { paymentsProjection, type PaymentDoc } from './payments/projection';
export { salesProjection, type SalesDoc } from './sales/projection';
export { LOW_STOCK_THRESHOLD, skusProjection, type SkuDoc } from './skus/projection';

/**
 * A projection as the worker holds it: documents are whatever its collection stores. The collection holds only
 * what this projection's own `evolve` wrote (one collection per name and version), which is what the cast trusts.
 */
export const storedProjection = <Doc>(projection: Projection<Doc>): Projection<unknown> => ({
  name: projection.name,
  version: projection.version,
  indexes: projection.indexes,
  eventTypes: projection.eventTypes,
  documentIds: projection.documentIds,
  evolve: (doc, e, id) => projection.evolve(doc as Doc | null, e, id),
});

export const allProjections: readonly Projection<unknown>[] = [
  storedProjection(ordersProjection),
  storedProjection(skusProjection),
  storedProjection(paymentsProjection),
  storedProjection(salesProjection),
];
