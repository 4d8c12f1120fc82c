import { couponsProjection } from './coupons/projection';
import { ordersProjection } from './orders/projection';
import { paymentsProjection } from './payments/projection';
import type { AnyProjection, ProjectionOf, ReadModelEvent } from './input';
import type { Projection } from './projection';
import { promotionsProjection } from './promotions/projection';
import { salesProjection } from './sales/projection';
import { orderSagasProjection } from './sagas/projection';
import { skusProjection } from './skus/projection';

export { decodeDomainEvent, decodeReadModelEvent } from './events';
export type { AnyProjection, ProjectionOf, ReadModelEvent, Recorded, SagaEvent } from './input';
export { couponsProjection, type CouponDoc } from './coupons/projection';
export { ordersProjection, type OrderDoc } from './orders/projection';
export { paymentsProjection, type PaymentDoc } from './payments/projection';
export { promotionsProjection, type PromotionDoc } from './promotions/projection';
export { salesProjection, type SalesDoc } from './sales/projection';
export { LOW_STOCK_THRESHOLD, skusProjection, type SkuDoc } from './skus/projection';
export { ORDER_SAGAS_CONSUMER, orderSagasProjection, type OrderSagaDoc } from './sagas/projection';

/**
 * A projection as the worker holds it: documents are whatever its collection stores. The collection holds only
 * what this projection's own `evolve` wrote (one collection per name and version), which is what the cast trusts.
 */
export const storedProjection = <Doc, Ev extends ReadModelEvent>(
  projection: ProjectionOf<Doc, Ev>,
): ProjectionOf<unknown, Ev> => ({
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
  storedProjection(promotionsProjection),
  storedProjection(couponsProjection),
];

/**
 * Every read model the projection runners keep: the domain ones above (served by the query API) and the fulfilment
 * saga per order (shown with the order detail).
 */
export const allReadModels: readonly AnyProjection[] = [...allProjections, storedProjection(orderSagasProjection)];
