import * as E from 'fp-ts/Either';
import { centres } from '../../domain/centres';
import {
  fulfilmentEvents,
  fulfilmentSaga,
  refundSaga,
  refundSagaEvents,
  type CommandRejected,
  type DeadlineReached,
  type DomainEvent,
  type FulfilmentConfig,
  type FulfilmentEvent,
  type FulfilmentInput,
  type FulfilmentState,
  type RefundConfig,
  type RefundInput,
  type RefundSagaEvent,
  type RefundSagaState,
  type SagaDecider,
  type SagaName,
} from '../../domain/sagas';
import type { EventRegistry } from '../../domain/shared';
import type { RecordedEvent } from '../../ports/event-store';

/** Everything the runner needs to host one kind of saga. */
export interface SagaKind<I, S, Ev extends { readonly type: string }> {
  readonly name: SagaName;
  readonly decider: SagaDecider<I, S, Ev>;
  readonly events: EventRegistry<Ev>;
  /** timer firings and rejections are inputs of every saga */
  readonly lift: (input: DeadlineReached | CommandRejected) => I;
  /** nothing will ever happen to the saga again (no deadline, no step waiting for a fact) */
  readonly settled: (state: S) => boolean;
}

export type FulfilmentKind = SagaKind<FulfilmentInput, FulfilmentState, FulfilmentEvent>;
export type RefundKind = SagaKind<RefundInput, RefundSagaState, RefundSagaEvent>;

export interface SagaKinds {
  readonly fulfilment: FulfilmentKind;
  readonly refund: RefundKind;
}

export const sagaKinds = (fulfilment: FulfilmentConfig, refund: RefundConfig): SagaKinds => ({
  fulfilment: {
    name: 'fulfilment',
    decider: fulfilmentSaga(fulfilment),
    events: fulfilmentEvents,
    lift: (input) => input,
    // Completed has committed its stock; a Confirmed saga still waits for the shipment or a cancellation
    settled: (state) => state.status === 'Completed' || state.status === 'Cancelled' || state.status === 'Failed',
  },
  refund: {
    name: 'refund',
    decider: refundSaga(refund),
    events: refundSagaEvents,
    lift: (input) => input,
    settled: (state) => state.status === 'Completed' || state.status === 'Failed',
  },
});

const sagaPrefixes: readonly (readonly [string, SagaName])[] = [
  ['saga-fulfilment-', 'fulfilment'],
  ['saga-refund-', 'refund'],
];

/** Which saga a stream (saga id) belongs to, if it is a saga stream at all. */
export const sagaNameOf = (streamId: string): SagaName | undefined =>
  sagaPrefixes.find(([prefix]) => streamId.startsWith(prefix))?.[1];

type DomainDecoder = Pick<EventRegistry<DomainEvent>, 'handles' | 'decode'>;
const domainDecoders: readonly DomainDecoder[] = centres.map((centre) => centre.events);

/**
 * A stored event as saga input: `undefined` for events of no centre (saga bookkeeping, markers), a Left when a
 * centre's event cannot be read (a poison event for the dead letters).
 */
export const decodeCentreEvent = (
  recorded: Pick<RecordedEvent, 'type' | 'data'>,
): E.Either<string, DomainEvent> | undefined => {
  const cached = centreEvents.get(recorded);
  if (cached !== undefined) return cached.decoded;
  const decoder = domainDecoders.find((d) => d.handles(recorded.type));
  const decoded = decoder?.decode({ type: recorded.type, data: recorded.data });
  centreEvents.set(recorded, { decoded });
  return decoded;
};

/** Decoded once per stored event object (the embedded bus may deliver one object again, e.g. on a retry). */
const centreEvents = new WeakMap<object, { readonly decoded: E.Either<string, DomainEvent> | undefined }>();

/** Decodes a saga stream's stored event; one that cannot be read stops the saga rather than fold a wrong state. */
export const decodeSagaEvent = <Ev extends { readonly type: string }>(
  registry: EventRegistry<Ev>,
  recorded: RecordedEvent,
): Ev => {
  const decoded = registry.decode({ type: recorded.type, data: recorded.data });
  if (E.isLeft(decoded)) throw new Error(`cannot decode ${recorded.streamId}@${recorded.revision}: ${decoded.left}`);
  return decoded.right;
};
