import {
  defaultFulfilmentConfig,
  fulfilmentEvents,
  fulfilmentSaga,
  fulfilmentStep,
  type FulfilmentEvent,
  type FulfilmentState,
  type FulfilmentStatus,
} from '../../domain/sagas';
import type { ReadStore } from '../../ports/read-store';
import type { ProjectionOf, Recorded } from '../input';
import { collectionName, projectionConsumer } from '../projection';
import { LiveCollections } from '../registry';

/** A deadline as the read side shows it. */
export interface SagaDeadlineView {
  readonly deadlineId: string;
  readonly kind: string;
  readonly dueAt: string;
}

/**
 * The fulfilment saga of one order as the read side shows it (collection `order_sagas_v1`, id = order id), to be
 * shown with the order: where the saga is, what it waits for, and what went wrong last.
 */
export interface OrderSagaDoc {
  readonly orderId: string;
  readonly sagaStatus: FulfilmentStatus;
  /** human-readable, e.g. `authorizing payment (attempt 2)` */
  readonly step: string;
  readonly deadlines: readonly SagaDeadlineView[];
  readonly lastError: string | null;
  /** `at` of the latest saga event */
  readonly updatedAt: string;
  /** saga stream revision applied last */
  readonly revision: number;
  /** the folded saga state the next event is applied to (not for display) */
  readonly state: FulfilmentState;
}

// evolve does not depend on the saga's configuration (only react does)
const saga = fulfilmentSaga(defaultFulfilmentConfig);

const FULFILMENT_STREAM = 'saga-fulfilment-';

const view = (state: FulfilmentState, revision: number, updatedAt: string, orderId: string): OrderSagaDoc => ({
  orderId,
  sagaStatus: state.status,
  step: fulfilmentStep(state),
  deadlines:
    state.status === 'NotStarted'
      ? []
      : state.deadlines.map((d) => ({ deadlineId: d.deadlineId, kind: d.kind, dueAt: d.dueAt })),
  lastError: state.status === 'NotStarted' ? null : state.lastError,
  updatedAt,
  revision,
  state,
});

/** Pure fold: the document after one saga event. */
export const evolveOrderSaga = (doc: OrderSagaDoc | null, e: Recorded<FulfilmentEvent>): OrderSagaDoc => {
  // One stream feeds a document, so its revision orders them: an event at or below the revision shown is in it
  // already (documents written before the worker kept per-source progress dedupe this way only).
  if (doc !== null && e.revision <= doc.revision) return doc;
  const state = saga.evolve(doc?.state ?? saga.initialState, e.event);
  const updatedAt = doc === null || Date.parse(e.event.at) >= Date.parse(doc.updatedAt) ? e.event.at : doc.updatedAt;
  return view(state, e.revision, updatedAt, e.event.orderId);
};

/** The fulfilment saga per order, read from the saga's own events (run by the ProjectionRunner like the others). */
export const orderSagasProjection: ProjectionOf<OrderSagaDoc, FulfilmentEvent> = {
  name: 'order_sagas',
  version: 1,
  indexes: ['sagaStatus'],
  eventTypes: [...new Set(fulfilmentEvents.readableTypes.values())],
  documentIds: (e) => (e.streamId.startsWith(FULFILMENT_STREAM) ? [e.event.orderId] : []),
  evolve: (doc, e) => evolveOrderSaga(doc, e),
};

/** Collection of the read model, named like the other projections' (`<name>_v<version>`). */
export const orderSagasCollection = collectionName(orderSagasProjection);

/** The consumer its dead letters are recorded under (`projection:<name>`, as every projection's). */
export const ORDER_SAGAS_CONSUMER = projectionConsumer(orderSagasProjection.name);

/** What the orders read model shows of the saga: the document without the internal state. */
export const sagaView = (doc: OrderSagaDoc): Omit<OrderSagaDoc, 'state' | 'revision'> => ({
  orderId: doc.orderId,
  sagaStatus: doc.sagaStatus,
  step: doc.step,
  deadlines: doc.deadlines,
  lastError: doc.lastError,
  updatedAt: doc.updatedAt,
});

/**
 * The saga part of an order's read model, if the order has a saga yet, from the live collection (a rebuild moves
 * it; readers that ask often pass one `LiveCollections`, which caches the answer briefly).
 */
export const readOrderSaga = async (
  readStore: ReadStore,
  orderId: string,
  live: Pick<LiveCollections, 'collection'> = new LiveCollections(readStore),
): Promise<ReturnType<typeof sagaView> | undefined> => {
  const doc = await readStore.get(await live.collection(orderSagasProjection), orderId);
  // the collection holds only what evolveOrderSaga wrote
  return doc === undefined ? undefined : sagaView(doc.body as unknown as OrderSagaDoc);
};
