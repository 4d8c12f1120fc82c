import type { ReadStore } from '../ports/read-store';
import { LiveCollections } from '../projections/registry';
import { readOrderSaga } from '../projections/sagas/projection';

/** The order detail shows its fulfilment saga: current step, deadlines and last error. */
export const orderSagaExtras = (readStore: ReadStore) => {
  const live = new LiveCollections(readStore);
  return async (orderId: string): Promise<Readonly<Record<string, unknown>>> => {
    const saga = await readOrderSaga(readStore, orderId, live);
    return saga ? { saga } : {};
  };
};
