import { sagaRetryers, type RetryerFor } from '../../commands/sagas/dead-letters';
import type { SagaRunner } from '../../commands/sagas/runner';
import { allReadModels } from '../../projections';
import { readEntry } from '../../projections/registry';
import { projectionConsumer } from '../../projections/projection';
import { ProjectionWorker } from '../../projections/worker';
import type { RecordedEvent } from '../../ports/event-store';
import type { Delivery } from '../../ports/message-bus';
import type { ReadStore } from '../../ports/read-store';
import type { DeadLetter } from '../../ports/dead-letters';

/**
 * Who can handle a dead letter again, shared by `commerce dlq` and the `/v1/dead-letters` routes so both retry
 * the same way: saga letters go through a saga runner, projection letters through their projection's worker.
 */

/** A dead letter's event as the bus delivered it, for a projection worker. */
export const deliveryOf = (letter: DeadLetter): Delivery => {
  const { event } = letter;
  const recorded: RecordedEvent = {
    eventId: event.eventId,
    streamId: event.streamId,
    revision: event.revision ?? 0,
    position: event.position ?? 0,
    type: event.type,
    data: event.data,
    // stored from a RecordedEvent's metadata by the consumer that failed
    metadata: event.metadata as RecordedEvent['metadata'],
  };
  return { source: event.source ?? '$all', sequence: event.sequence ?? recorded.position, event: recorded };
};

/** Projection letters are handed to the projection's worker again, as the bus delivered them, on its live collection. */
export const projectionRetryers =
  (readStore: () => Promise<ReadStore>): RetryerFor =>
  (consumer) => {
    const projection = allReadModels.find((p) => consumer === projectionConsumer(p.name));
    if (projection === undefined) return undefined;
    return async (letter) => {
      const store = await readStore();
      // the collection reads use now: after a rebuild switched them, the original one is no longer live
      const { entry } = await readEntry(store, projection);
      const worker = new ProjectionWorker(projection, store, entry.live.collection, { recordsProgress: false });
      await worker.handle([deliveryOf(letter)]);
    };
  };

/**
 * Saga letters through the runner running now (looked up per retry: a restarted service has a new runner), or
 * none when the process runs no saga runner.
 */
export const liveSagaRetryers =
  (runner: () => SagaRunner | undefined): RetryerFor =>
  (consumer) => {
    const current = runner();
    return current === undefined ? undefined : sagaRetryers(current)(consumer);
  };
