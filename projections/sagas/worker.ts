import { EventEmitter } from 'node:events';
import * as E from 'fp-ts/Either';
import { fulfilmentEvents } from '../../domain/sagas';
import type { Logger } from '../../ports/logger';
import type { RecordedEvent } from '../../ports/event-store';
import type { Consumer, Delivery, MessageBus } from '../../ports/message-bus';
import type { DocumentWrite, ReadStore, StoredDocument } from '../../ports/read-store';
import { handleWithDeadLetters, type DeadLetterStore } from '../../ports/dead-letters';
import { DocumentCache } from '../worker';
import {
  ORDER_SAGAS,
  decodeFulfilmentRecorded,
  evolveOrderSaga,
  orderSagasCollection,
  sagaView,
  type OrderSagaDoc,
  type ProjectedSagaEvent,
} from './projection';

export interface OrderSagaProjectorOptions {
  readonly bus: MessageBus;
  readonly readStore: ReadStore;
  readonly logger: Logger;
  /** poison events go here after `attempts` instead of stopping the read model */
  readonly deadLetters?: DeadLetterStore;
  readonly attempts?: number;
  readonly group?: string;
  readonly maxBatch?: number;
}

/** What `decodeFulfilmentRecorded` looks at before it decodes: everything else it answers undefined for. */
const isFulfilmentSagaEvent = (recorded: RecordedEvent): boolean =>
  recorded.streamId.startsWith('saga-fulfilment-') && fulfilmentEvents.handles(recorded.type);

export const ORDER_SAGAS_CONSUMER = `projection:${ORDER_SAGAS.name}`;

/**
 * Projects fulfilment saga events into `order_sagas_v1`, one document per order. A document is fed by one
 * stream only (the order's saga stream), so its progress is that stream's revision: a redelivered event, from
 * whatever partition or replay, is recognised and skipped.
 */
export class OrderSagaProjector {
  private consumer: Consumer | undefined;
  private highest = 0;
  private readonly progress = new EventEmitter();
  private readonly cache: DocumentCache;

  constructor(private readonly options: OrderSagaProjectorOptions) {
    this.progress.setMaxListeners(0);
    this.cache = new DocumentCache(options.readStore, orderSagasCollection);
  }

  get position(): number {
    return this.highest;
  }

  async start(): Promise<void> {
    await this.options.readStore.ensureIndexes(orderSagasCollection, ORDER_SAGAS.indexes);
    const { deadLetters } = this.options;
    this.consumer = await this.options.bus.consume(
      {
        group: this.options.group ?? ORDER_SAGAS_CONSUMER,
        ...(this.options.maxBatch ? { maxBatch: this.options.maxBatch } : {}),
      },
      async (batch) => {
        // only fulfilment saga events are input: the rest would each cost a dead-letter lookup and be skipped
        const input = batch.filter((d) => isFulfilmentSagaEvent(d.event));
        if (input.length > 0 && deadLetters === undefined) await this.handle(input);
        else if (input.length > 0 && deadLetters !== undefined) {
          await handleWithDeadLetters(input, (part) => this.handle(part), {
            consumer: ORDER_SAGAS_CONSUMER,
            store: deadLetters,
            attempts: this.options.attempts ?? 3,
            keyOf: (d) => d.event.streamId,
          });
        }
        const last = batch[batch.length - 1];
        if (last) this.highest = Math.max(this.highest, last.event.position);
        this.progress.emit('position');
      },
    );
    this.consumer.done.catch((error: unknown) => {
      this.options.logger.error({ err: error }, 'order_sagas projection stopped on an error');
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = undefined;
  }

  /** true once every event up to `position` was applied (false on timeout) */
  async waitFor(position: number, timeoutMs: number): Promise<boolean> {
    if (this.highest >= position) return true;
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.highest >= position) finish(true);
      };
      const finish = (result: boolean): void => {
        clearTimeout(timer);
        this.progress.off('position', check);
        resolve(result);
      };
      const timer = setTimeout(() => {
        finish(this.highest >= position);
      }, timeoutMs);
      this.progress.on('position', check);
    });
  }

  /** The saga part of an order's read model, if the order has a saga yet. */
  async sagaOf(orderId: string): Promise<ReturnType<typeof sagaView> | undefined> {
    const doc = await this.options.readStore.get(orderSagasCollection, orderId);
    // the collection holds only what evolveOrderSaga wrote
    return doc === undefined ? undefined : sagaView(doc.body as unknown as OrderSagaDoc);
  }

  async handle(batch: readonly Delivery[]): Promise<void> {
    try {
      await this.apply(batch);
    } catch (error) {
      // a write may have landed: read every document again next time
      this.cache.clear();
      throw error;
    }
  }

  private async apply(batch: readonly Delivery[]): Promise<void> {
    const touched = new Map<string, ProjectedSagaEvent[]>();
    for (const delivery of batch) {
      const decoded = decodeFulfilmentRecorded(delivery.event);
      if (decoded === undefined) continue;
      if (E.isLeft(decoded)) throw new Error(`${delivery.event.streamId}@${delivery.event.revision}: ${decoded.left}`);
      const id = decoded.right.event.orderId;
      const list = touched.get(id);
      if (list) list.push(decoded.right);
      else touched.set(id, [decoded.right]);
    }
    if (touched.size === 0) return;
    let pending = [...touched.keys()];
    // another projector may write the same document meanwhile: fold again from what it wrote (bounded)
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= 10) throw new Error(`order_sagas documents kept changing: ${pending.slice(0, 5).join(', ')}`);
      // a retry reloads: the refused documents were changed by another writer
      const existing = await this.cache.getMany(pending, attempt === 0);
      const writes: DocumentWrite[] = [];
      for (const id of pending) {
        const write = this.fold(id, touched.get(id) ?? [], existing.get(id));
        if (write) writes.push(write);
      }
      if (writes.length === 0) return;
      const result = await this.options.readStore.putMany(orderSagasCollection, writes);
      const refused = new Set(result.conflicts);
      for (const write of writes) {
        if (refused.has(write.id)) this.cache.forget(write.id);
        else this.cache.remember(write);
      }
      pending = [...refused];
    }
  }

  private fold(
    id: string,
    events: readonly ProjectedSagaEvent[],
    before: StoredDocument | undefined,
  ): DocumentWrite | undefined {
    // the collection holds only what evolveOrderSaga wrote
    let doc = (before?.body ?? null) as OrderSagaDoc | null;
    const progress: Record<string, number> = { ...before?.progress };
    let dirty = false;
    for (const e of events) {
      const seen = progress[e.streamId];
      if (seen !== undefined && e.revision <= seen) continue;
      doc = evolveOrderSaga(doc, e);
      progress[e.streamId] = e.revision;
      dirty = true;
    }
    if (!dirty || doc === null) return undefined;
    return {
      id,
      body: doc as unknown as DocumentWrite['body'],
      progress,
      expectedVersion: before?.version ?? 0,
    };
  }
}
