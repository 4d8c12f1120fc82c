import type { ReadStore } from '../ports/read-store';
import { orderSagasCollection, sagaView, type OrderSagaDoc } from '../projections/sagas/projection';

/** The order detail shows its fulfilment saga: current step, deadlines and last error. */
export const orderSagaExtras =
  (readStore: ReadStore) =>
  async (orderId: string): Promise<Readonly<Record<string, unknown>>> => {
    const doc = await readStore.get(orderSagasCollection, orderId);
    // the collection holds only what the order-saga projection wrote
    return doc ? { saga: sagaView(doc.body as unknown as OrderSagaDoc) } : {};
  };
