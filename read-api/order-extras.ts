import type { ReadStore } from '../ports/read-store';
import { readOrderSaga } from '../projections/sagas/projection';

/** The order detail shows its fulfilment saga: current step, deadlines and last error. */
export const orderSagaExtras =
  (readStore: ReadStore) =>
  async (orderId: string): Promise<Readonly<Record<string, unknown>>> => {
    const saga = await readOrderSaga(readStore, orderId);
    return saga ? { saga } : {};
  };
