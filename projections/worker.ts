import * as E from 'fp-ts/Either';
import type { Delivery } from '../infra/ports/message-bus';
import type { ReadStore, StoredDocument } from '../infra/ports/read-store';
import { decodeDomainEvent } from './events';
import type { Projection, ProjectedEvent } from './projection';

export interface WorkerStatus {
  readonly name: string;
  readonly version: number;
  readonly collection: string;
  /** highest global position applied (embedded: every event up to it is applied) */
  readonly position: number;
  readonly eventsApplied: number;
  readonly documentsWritten: number;
  readonly batches: number;
  readonly lastBatchAt: string | undefined;
}

/**
 * Runs one projection over delivered batches: decode, group by document, load each touched document once, fold
 * in memory, write each once. Exactly-once effect: a document records the last sequence applied per delivery
 * source, and an event at or below it is skipped — a redelivered batch, or the same event arriving again from a
 * replay, changes nothing.
 */
export class ProjectionWorker<Doc> {
  private status: WorkerStatus;

  constructor(
    private readonly projection: Projection<Doc>,
    private readonly store: ReadStore,
    private readonly collection: string,
  ) {
    this.status = {
      name: projection.name,
      version: projection.version,
      collection,
      position: 0,
      eventsApplied: 0,
      documentsWritten: 0,
      batches: 0,
      lastBatchAt: undefined,
    };
  }

  get current(): WorkerStatus {
    return this.status;
  }

  async init(): Promise<void> {
    await this.store.ensureIndexes(this.collection, this.projection.indexes);
  }

  /** Resume position after a restart, for status reporting (the bus keeps the real checkpoint). */
  restorePosition(position: number): void {
    this.status = { ...this.status, position: Math.max(this.status.position, position) };
  }

  async handle(batch: readonly Delivery[]): Promise<void> {
    const touched = new Map<string, { delivery: Delivery; event: ProjectedEvent }[]>();
    let maxPosition = this.status.position;
    for (const delivery of batch) {
      maxPosition = Math.max(maxPosition, delivery.event.position);
      const decoded = decodeDomainEvent(delivery.event);
      // Events of other kinds (saga bookkeeping, markers) are not read-model input.
      if (E.isLeft(decoded)) continue;
      for (const id of this.projection.documentIds(decoded.right)) {
        const list = touched.get(id);
        if (list) list.push({ delivery, event: decoded.right });
        else touched.set(id, [{ delivery, event: decoded.right }]);
      }
    }
    let applied = 0;
    const changed: StoredDocument[] = [];
    if (touched.size > 0) {
      const existing = await this.store.getMany(this.collection, [...touched.keys()]);
      for (const [id, events] of touched) {
        const before = existing.get(id);
        // Stored bodies are exactly what evolve produced for this collection.
        let doc = (before?.body ?? null) as Doc | null;
        const progress: Record<string, number> = { ...before?.progress };
        let dirty = false;
        for (const { delivery, event } of events) {
          const seen = progress[delivery.source];
          if (seen !== undefined && delivery.sequence <= seen) continue;
          doc = this.projection.evolve(doc, event, id);
          progress[delivery.source] = delivery.sequence;
          dirty = true;
          applied++;
        }
        if (dirty && doc !== null) changed.push({ id, body: doc as StoredDocument['body'], progress });
      }
      if (changed.length > 0) await this.store.putMany(this.collection, changed);
    }
    this.status = {
      ...this.status,
      position: maxPosition,
      eventsApplied: this.status.eventsApplied + applied,
      documentsWritten: this.status.documentsWritten + changed.length,
      batches: this.status.batches + 1,
      lastBatchAt: new Date().toISOString(),
    };
  }
}
