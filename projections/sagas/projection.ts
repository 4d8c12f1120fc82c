import * as E from 'fp-ts/Either';
import {
  defaultFulfilmentConfig,
  fulfilmentEvents,
  fulfilmentSaga,
  fulfilmentStep,
  type FulfilmentEvent,
  type FulfilmentState,
  type FulfilmentStatus,
} from '../../domain/sagas';
import type { RecordedEvent } from '../../ports/event-store';

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

/** A saga event decoded from the store, with where it sits. */
export interface ProjectedSagaEvent {
  readonly event: FulfilmentEvent;
  readonly streamId: string;
  readonly revision: number;
  readonly position: number;
}

export const ORDER_SAGAS = { name: 'order_sagas', version: 1, indexes: ['sagaStatus'] } as const;

/** Collection of the read model, named like the other projections' (`<name>_v<version>`). */
export const orderSagasCollection = `${ORDER_SAGAS.name}_v${ORDER_SAGAS.version}`;

// evolve does not depend on the saga's configuration (only react does)
const saga = fulfilmentSaga(defaultFulfilmentConfig);

/**
 * A stored event as input of this read model: `undefined` for events of other streams, a Left when a fulfilment
 * saga event cannot be read.
 */
export const decodeFulfilmentRecorded = (recorded: RecordedEvent): E.Either<string, ProjectedSagaEvent> | undefined => {
  if (!recorded.streamId.startsWith('saga-fulfilment-') || !fulfilmentEvents.handles(recorded.type)) return undefined;
  return E.map((event: FulfilmentEvent) => ({
    event,
    streamId: recorded.streamId,
    revision: recorded.revision,
    position: recorded.position,
  }))(fulfilmentEvents.decode({ type: recorded.type, data: recorded.data }));
};

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
export const evolveOrderSaga = (doc: OrderSagaDoc | null, e: ProjectedSagaEvent): OrderSagaDoc => {
  const state = saga.evolve(doc?.state ?? saga.initialState, e.event);
  const updatedAt = doc === null || Date.parse(e.event.at) >= Date.parse(doc.updatedAt) ? e.event.at : doc.updatedAt;
  return view(state, e.revision, updatedAt, e.event.orderId);
};

/** What the orders read model shows of the saga: the document without the internal state. */
export const sagaView = (doc: OrderSagaDoc): Omit<OrderSagaDoc, 'state' | 'revision'> => ({
  orderId: doc.orderId,
  sagaStatus: doc.sagaStatus,
  step: doc.step,
  deadlines: doc.deadlines,
  lastError: doc.lastError,
  updatedAt: doc.updatedAt,
});
