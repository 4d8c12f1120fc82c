import * as E from 'fp-ts/Either';
import { EMBEDDED_SOURCE, type Delivery } from '../ports/message-bus';
import type { RecordedEvent } from '../ports/event-store';
import type { DocumentWrite, ReadStore, StoredDocument } from '../ports/read-store';
import { decodeReadModelEvent, storedTypesOf } from './events';
import { overEveryEvent, type AnyProjection, type ProjectionOf, type ReadModelEvent, type Recorded } from './input';

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
  /** documents this worker last wrote, kept to skip reading them back (default 5,000; 0: none) */
  readonly cacheSize?: number;
  /**
   * false for a worker that handles deliveries out of band (a dead letter retried): the source's progress belongs
   * to the consumer that owns it, and an old delivery must not move it back; default true
   */
  readonly recordsProgress?: boolean;
}

interface Touch {
  readonly delivery: Delivery;
  readonly event: Recorded<ReadModelEvent>;
}

const MAX_CONFLICT_BACKOFF_MS = 1_000;

/**
 * Decoded once per recorded event, for every projection of the process: the embedded bus hands the same
 * RecordedEvent object to each worker, and decoding (io-ts) is a pure function of it.
 */
const decoded = new WeakMap<RecordedEvent, ReturnType<typeof decodeReadModelEvent>>();

export const decodeOnce = (recorded: RecordedEvent): ReturnType<typeof decodeReadModelEvent> => {
  let result = decoded.get(recorded);
  if (result === undefined) {
    result = decodeReadModelEvent(recorded);
    decoded.set(recorded, result);
  }
  return result;
};

/**
 * The documents one writer last wrote, per id, least recently used first, so a worker does not read back (and
 * parse) what it wrote itself. Safe without invalidation because every write names the version it was computed
 * from: a cached document another writer changed since is refused as a conflict, forgotten here, and reloaded.
 */
export class DocumentCache {
  private readonly docs = new Map<string, StoredDocument>();

  constructor(
    private readonly store: Pick<ReadStore, 'getMany'>,
    private readonly collection: string,
    private readonly size = 2_000,
  ) {}

  /** the documents as last known: from memory when `cached`, else (and for what memory lacks) from the store */
  async getMany(ids: readonly string[], cached = true): Promise<ReadonlyMap<string, StoredDocument>> {
    if (!cached || this.size === 0) {
      for (const id of ids) this.docs.delete(id);
      return this.store.getMany(this.collection, ids);
    }
    const found = new Map<string, StoredDocument>();
    const missing: string[] = [];
    for (const id of ids) {
      const doc = this.docs.get(id);
      if (doc === undefined) missing.push(id);
      else found.set(id, doc);
    }
    if (missing.length > 0) {
      for (const [id, doc] of await this.store.getMany(this.collection, missing)) found.set(id, doc);
    }
    return found;
  }

  /** a write the store accepted (versions count from 1, +1 per write) */
  remember(write: DocumentWrite): void {
    if (this.size === 0 || write.expectedVersion === 'any') return;
    this.docs.delete(write.id);
    this.docs.set(write.id, {
      id: write.id,
      body: write.body,
      progress: write.progress,
      version: write.expectedVersion + 1,
    });
    if (this.docs.size > this.size) {
      const oldest = this.docs.keys().next();
      if (!oldest.done) this.docs.delete(oldest.value);
    }
  }

  forget(id: string): void {
    this.docs.delete(id);
  }

  /** after a failure that may have written part of a batch: nothing in memory can be trusted */
  clear(): void {
    this.docs.clear();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs one read model (over domain or saga events) over delivered batches: decode, group by document, load each touched document once, fold
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
  private readonly cache: DocumentCache;
  private readonly recordsProgress: boolean;
  private readonly projection: ProjectionOf<Doc, ReadModelEvent>;
  /** the stored type names of the events it reads: the others are not decoded */
  private readonly storedTypes: ReadonlySet<string>;

  constructor(
    projection: AnyProjection<Doc>,
    private readonly store: ReadStore,
    private readonly collection: string,
    options: WorkerOptions = {},
  ) {
    this.projection = overEveryEvent(projection);
    this.storedTypes = storedTypesOf(projection.eventTypes);
    this.recordsProgress = options.recordsProgress ?? true;
    this.conflictRetries = options.conflictRetries ?? 10;
    this.conflictBackoffMs = options.conflictBackoffMs ?? 25;
    this.cache = new DocumentCache(store, collection, options.cacheSize);
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

  /** whether this stored event is of a type the read model reads (only those can change or fail a document) */
  reads(recorded: RecordedEvent): boolean {
    return this.storedTypes.has(recorded.type);
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
    const progress = await this.apply(batch);
    // after the documents: progress must never claim more than what is written
    if (progress.length > 0) await this.store.putMany(PROGRESS_COLLECTION, progress);
  }

  /**
   * Writes the batch's documents and answers the progress writes that record it, for the caller to write after them
   * (a runner of several read models writes theirs in one call); none when the worker records no progress.
   */
  async apply(batch: readonly Delivery[]): Promise<readonly DocumentWrite[]> {
    const touched = new Map<string, Touch[]>();
    let maxPosition = this.status.position;
    for (const delivery of batch) {
      maxPosition = Math.max(maxPosition, delivery.event.position);
      if (!this.reads(delivery.event)) continue;
      const event = decodeOnce(delivery.event);
      // data its codec rejects is no read-model input either
      if (E.isLeft(event)) continue;
      for (const id of this.projection.documentIds(event.right)) {
        const list = touched.get(id);
        if (list) list.push({ delivery, event: event.right });
        else touched.set(id, [{ delivery, event: event.right }]);
      }
    }
    const sources = new Map<string, { sequence: number; position: number }>();
    for (const d of batch) {
      const prev = sources.get(d.source);
      if (!prev || d.sequence > prev.sequence)
        sources.set(d.source, { sequence: d.sequence, position: d.event.position });
    }
    let outcome;
    try {
      outcome = await this.write(touched);
    } catch (error) {
      // what the store holds now is unknown (a write may have landed): read every document again next time
      this.cache.clear();
      throw error;
    }
    const { applied, written, conflicts } = outcome;
    const now = new Date().toISOString();
    const progress = this.recordsProgress
      ? [...sources].map(([source, at]): DocumentWrite => {
          const body: SourceProgress = {
            projection: this.projection.name,
            version: this.projection.version,
            source,
            ...at,
            updatedAt: now,
          };
          // one consumer owns a source at a time, so its progress document has a single writer
          return { id: `${this.collection}@${source}`, body: { ...body }, progress: {}, expectedVersion: 'any' };
        })
      : [];
    this.status = {
      ...this.status,
      position: maxPosition,
      eventsApplied: this.status.eventsApplied + applied,
      documentsWritten: this.status.documentsWritten + written,
      conflicts: this.status.conflicts + conflicts,
      batches: this.status.batches + 1,
      lastBatchAt: now,
    };
    return progress;
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
      // a retry reloads: the refused documents were changed by another writer
      const existing = await this.cache.getMany(pending, attempt === 0);
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
      for (const write of writes) {
        if (refused.has(write.id)) {
          this.cache.forget(write.id);
          continue;
        }
        applied += appliedById.get(write.id) ?? 0;
        written += 1;
        this.cache.remember(write);
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
