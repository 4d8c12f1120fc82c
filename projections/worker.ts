import * as E from 'fp-ts/Either';
import { EMBEDDED_SOURCE } from '../infra/bus/embedded-bus';
import type { Delivery } from '../infra/ports/message-bus';
import type { DocumentWrite, ReadStore, StoredDocument } from '../infra/ports/read-store';
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
  /** document writes refused because another writer changed the document first, then folded again and retried */
  readonly conflicts: number;
  readonly batches: number;
  readonly lastBatchAt: string | undefined;
}

export interface WorkerOptions {
  /** how often one batch folds again and rewrites the documents another writer changed first; default 10 */
  readonly conflictRetries?: number;
  /** first delay before such a retry, doubling up to 1 s, with jitter; default 25 ms */
  readonly conflictBackoffMs?: number;
}

interface Touch {
  readonly delivery: Delivery;
  readonly event: ProjectedEvent;
}

const MAX_CONFLICT_BACKOFF_MS = 1_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs one projection over delivered batches: decode, group by document, load each touched document once, fold
 * in memory, write each once. Exactly-once effect: a document records the last sequence applied per delivery
 * source, and an event at or below it is skipped — a redelivered batch, or the same event arriving again from a
 * replay, changes nothing.
 *
 * Several workers may write one document (projector processes consuming different partitions both feed a sales
 * bucket): each write expects the version it read, and the documents another worker changed first are reloaded and
 * folded again — their progress skips what the other worker already applied — then written again.
 */
export class ProjectionWorker<Doc> {
  private status: WorkerStatus;
  private readonly conflictRetries: number;
  private readonly conflictBackoffMs: number;

  constructor(
    private readonly projection: Projection<Doc>,
    private readonly store: ReadStore,
    private readonly collection: string,
    options: WorkerOptions = {},
  ) {
    this.conflictRetries = options.conflictRetries ?? 10;
    this.conflictBackoffMs = options.conflictBackoffMs ?? 25;
    this.status = {
      name: projection.name,
      version: projection.version,
      collection,
      position: 0,
      eventsApplied: 0,
      documentsWritten: 0,
      conflicts: 0,
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
    const touched = new Map<string, Touch[]>();
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
    const sources = new Map<string, { sequence: number; position: number }>();
    for (const d of batch) {
      const prev = sources.get(d.source);
      if (!prev || d.sequence > prev.sequence)
        sources.set(d.source, { sequence: d.sequence, position: d.event.position });
    }
    const { applied, written, conflicts } = await this.write(touched);
    const now = new Date().toISOString();
    // after the documents: progress must never claim more than what is written
    await this.store.putMany(
      PROGRESS_COLLECTION,
      [...sources].map(([source, at]): DocumentWrite => {
        const body: SourceProgress = {
          projection: this.projection.name,
          version: this.projection.version,
          source,
          ...at,
          updatedAt: now,
        };
        // one consumer owns a source at a time, so its progress document has a single writer
        return { id: `${this.collection}@${source}`, body: { ...body }, progress: {}, expectedVersion: 'any' };
      }),
    );
    this.status = {
      ...this.status,
      position: maxPosition,
      eventsApplied: this.status.eventsApplied + applied,
      documentsWritten: this.status.documentsWritten + written,
      conflicts: this.status.conflicts + conflicts,
      batches: this.status.batches + 1,
      lastBatchAt: now,
    };
  }

  /**
   * Folds and writes every touched document; then, as long as some were changed by another writer first (bounded),
   * reloads only those and folds their events again. Throws when they keep changing: the bus redelivers the batch.
   */
  private async write(
    touched: ReadonlyMap<string, readonly Touch[]>,
  ): Promise<{ applied: number; written: number; conflicts: number }> {
    let applied = 0;
    let written = 0;
    let conflicts = 0;
    let pending = [...touched.keys()];
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) {
        if (attempt > this.conflictRetries) {
          throw new Error(
            `${this.collection}: ${pending.length} documents kept changing under ${this.conflictRetries} retries ` +
              `(e.g. ${pending.slice(0, 3).join(', ')})`,
          );
        }
        // jitter keeps two workers that conflicted once from retrying in lockstep
        const backoff = Math.min(MAX_CONFLICT_BACKOFF_MS, this.conflictBackoffMs * 2 ** (attempt - 1));
        await sleep(backoff * (0.5 + Math.random() / 2));
      }
      const existing = await this.store.getMany(this.collection, pending);
      const writes: DocumentWrite[] = [];
      const appliedById = new Map<string, number>();
      for (const id of pending) {
        const folded = this.fold(id, touched.get(id) ?? [], existing.get(id));
        if (folded === undefined) continue;
        writes.push(folded.write);
        appliedById.set(id, folded.applied);
      }
      if (writes.length === 0) break;
      const result = await this.store.putMany(this.collection, writes);
      const refused = new Set(result.conflicts);
      for (const { id } of writes) {
        if (refused.has(id)) continue;
        applied += appliedById.get(id) ?? 0;
        written += 1;
      }
      conflicts += refused.size;
      pending = [...refused];
    }
    return { applied, written, conflicts };
  }

  /** The write for one document, or nothing when every event is already applied (its progress covers them). */
  private fold(
    id: string,
    events: readonly Touch[],
    before: StoredDocument | undefined,
  ): { write: DocumentWrite; applied: number } | undefined {
    // Stored bodies are exactly what evolve produced for this collection.
    let doc = (before?.body ?? null) as Doc | null;
    const progress: Record<string, number> = { ...before?.progress };
    let applied = 0;
    for (const { delivery, event } of events) {
      const seen = progress[delivery.source];
      if (seen !== undefined && delivery.sequence <= seen) continue;
      doc = this.projection.evolve(doc, event, id);
      progress[delivery.source] = delivery.sequence;
      applied++;
    }
    if (applied === 0 || doc === null) return undefined;
    return {
      write: { id, body: doc as StoredDocument['body'], progress, expectedVersion: before?.version ?? 0 },
      applied,
    };
  }
}
