import * as E from 'fp-ts/Either';
import { EMBEDDED_SOURCE } from '../infra/bus/embedded-bus';
import type { Delivery } from '../infra/ports/message-bus';
import type { ReadStore, StoredDocument } from '../infra/ports/read-store';
import { decodeDomainEvent } from './events';
import type { Projection, ProjectedEvent } from './projection';

/** Collection where workers record, per projection and delivery source, how far they applied (for read-your-writes). */
export const PROGRESS_COLLECTION = 'projection_progress';

export interface SourceProgress {
  readonly projection: string;
  readonly version: number;
  readonly source: string;
  /** last delivery sequence applied from this source (Kafka offset, or global position for `$all`) */
  readonly sequence: number;
  /** global position of that event */
  readonly position: number;
  readonly updatedAt: string;
}

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
    await this.store.ensureIndexes(PROGRESS_COLLECTION, ['projection', 'version']);
    // embedded delivery has one source, the global log: what it applied is this worker's position after a restart
    const own = await this.store.get(PROGRESS_COLLECTION, `${this.collection}@${EMBEDDED_SOURCE}`);
    if (typeof own?.body.position === 'number') this.restorePosition(own.body.position);
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
    const sources = new Map<string, { sequence: number; position: number }>();
    for (const d of batch) {
      const prev = sources.get(d.source);
      if (!prev || d.sequence > prev.sequence)
        sources.set(d.source, { sequence: d.sequence, position: d.event.position });
    }
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
    const now = new Date().toISOString();
    // after the documents: progress must never claim more than what is written
    await this.store.putMany(
      PROGRESS_COLLECTION,
      [...sources].map(([source, at]) => {
        const body: SourceProgress = {
          projection: this.projection.name,
          version: this.projection.version,
          source,
          ...at,
          updatedAt: now,
        };
        return { id: `${this.collection}@${source}`, body: { ...body }, progress: {} };
      }),
    );
    this.status = {
      ...this.status,
      position: maxPosition,
      eventsApplied: this.status.eventsApplied + applied,
      documentsWritten: this.status.documentsWritten + changed.length,
      batches: this.status.batches + 1,
      lastBatchAt: now,
    };
  }
}
