import {
  assertWrites,
  type DocumentWrite,
  type PutResult,
  type ReadStore,
  type StoredDocument,
} from '../ports/read-store';

interface Entry {
  /** what the worker sees; its version counts the writes held here too */
  readonly doc: StoredDocument;
  /** the version in the store (0: not there) */
  readonly persisted: number;
}

export interface WriteBackOptions {
  /** the collection held in memory; every other collection passes through */
  readonly collection: string;
  /** the collection was empty when this started: a document not held is not in the store either */
  readonly startsEmpty: boolean;
  /** after a flush, forget the documents once more than this many are held; default 250,000 */
  readonly maxDocuments?: number;
  /** documents per write to the store; default 2,000 */
  readonly flushBatch?: number;
}

export interface FlushOptions {
  /**
   * Write only the documents whose first unwritten change is before this log position: those still changing stay
   * held (on a store where an update costs much more than an insert, an order written mid-life is written twice).
   */
  readonly changedBefore?: number;
}

/** Another writer changed the collection a write-back holds; only a rebuild's own target may be held. */
export class WriteBackConflictError extends Error {
  constructor(collection: string, ids: readonly string[]) {
    super(`${collection}: ${ids.length} documents changed under the rebuild (e.g. ${ids.slice(0, 3).join(', ')})`);
    this.name = 'WriteBackConflictError';
  }
}

/**
 * A read store that holds one collection's documents in memory for a writer that owns it — a rebuild filling its new
 * target — and writes them at `flush`, each once however many batches changed it, followed by the unconditional
 * writes to other collections (the worker's progress records), so those never claim more than what is written. The worker folds as usual;
 * lookups of held documents cost nothing, and on a collection that started empty neither do lookups of new ones.
 * Nothing is durable before `flush`, and `query` and `count` see only what was flushed: the caller moves its
 * checkpoint, and reads the collection, only after a flush.
 */
export class WriteBackStore implements ReadStore {
  private readonly held = new Map<string, Entry>();
  /** changed documents, each with the log position of its first change not written yet */
  private readonly changed = new Map<string, number>();
  /** the position of the first event of the batch being folded */
  private batchStart = 0;
  /** looked up in the store and not there (this is the only writer: they stay absent until written here) */
  private readonly absent = new Set<string>();
  /** unconditional writes to other collections (a worker's progress), written after the documents at `flush` */
  private readonly after = new Map<string, Map<string, DocumentWrite>>();
  /** ids written to the store by this instance: on a collection that started empty, the only ones that may be there */
  private readonly written = new Set<string>();
  private readonly maxDocuments: number;
  private flushing: Promise<void> = Promise.resolve();
  private readonly flushBatch: number;

  constructor(
    private readonly store: ReadStore,
    private readonly options: WriteBackOptions,
  ) {
    this.maxDocuments = options.maxDocuments ?? 250_000;
    this.flushBatch = options.flushBatch ?? 2_000;
  }

  /** documents changed since the last flush */
  get dirty(): number {
    return this.changed.size;
  }

  /** The writer starts folding a batch whose first event is at `position` (for `unwrittenSince`). */
  beginBatch(position: number): void {
    this.batchStart = position;
  }

  /** the earliest log position with a change not written yet, if any: a checkpoint must stay below it */
  get unwrittenSince(): number | undefined {
    let earliest: number | undefined;
    for (const since of this.changed.values()) if (earliest === undefined || since < earliest) earliest = since;
    return earliest;
  }

  /**
   * Writes every document changed so far (or those that settled), then, once nothing is left unwritten, the held
   * writes to other collections.
   * The writer may go on folding meanwhile (a store in another process writes while this one folds): what changes
   * during the flush is written by the next one. Flushes run one at a time. Throws when another writer changed one.
   */
  flush(options: FlushOptions = {}): Promise<number> {
    const run = this.flushing.then(() => this.write(options));
    this.flushing = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async write(options: FlushOptions): Promise<number> {
    const settled = options.changedBefore;
    const changed: Entry[] = [];
    for (const [id, since] of this.changed) {
      if (settled !== undefined && since >= settled) continue;
      const entry = this.held.get(id);
      if (entry !== undefined) changed.push(entry);
      this.changed.delete(id);
    }
    // progress records claim everything folded so far: only once no change is left unwritten
    const after = this.changed.size === 0 ? [...this.after] : [];
    for (const [collection] of after) this.after.delete(collection);
    for (let start = 0; start < changed.length; start += this.flushBatch) {
      const slice = changed.slice(start, start + this.flushBatch);
      const result = await this.store.putMany(
        this.options.collection,
        slice.map(({ doc, persisted }): DocumentWrite => ({
          id: doc.id,
          body: doc.body,
          progress: doc.progress,
          expectedVersion: persisted,
        })),
      );
      if (result.conflicts.length > 0) throw new WriteBackConflictError(this.options.collection, result.conflicts);
      // the held document may have changed again meanwhile: it stays changed, and the store now has version + 1
      for (const { doc, persisted } of slice) {
        this.written.add(doc.id);
        const current = this.held.get(doc.id);
        if (current !== undefined) this.held.set(doc.id, { doc: current.doc, persisted: persisted + 1 });
      }
    }
    for (const [collection, writes] of after) await this.store.putMany(collection, [...writes.values()]);
    if (this.held.size > this.maxDocuments) {
      for (const id of this.held.keys()) if (!this.changed.has(id)) this.held.delete(id);
    }
    return changed.length;
  }

  /** not held, and certainly not in the store either */
  private knownAbsent(id: string): boolean {
    return this.options.startsEmpty && !this.written.has(id) && !this.held.has(id);
  }

  get(collection: string, id: string): Promise<StoredDocument | undefined> {
    if (collection !== this.options.collection) return this.store.get(collection, id);
    return this.getMany(collection, [id]).then((found) => found.get(id));
  }

  async getMany(collection: string, ids: readonly string[]): Promise<ReadonlyMap<string, StoredDocument>> {
    if (collection !== this.options.collection) return this.store.getMany(collection, ids);
    const found = new Map<string, StoredDocument>();
    const missing: string[] = [];
    for (const id of ids) {
      const entry = this.held.get(id);
      if (entry !== undefined) found.set(id, entry.doc);
      else if (!this.knownAbsent(id)) missing.push(id);
    }
    if (missing.length > 0) {
      const stored = await this.store.getMany(collection, missing);
      for (const id of missing) {
        const doc = stored.get(id);
        if (doc === undefined) {
          this.absent.add(id);
          continue;
        }
        this.held.set(id, { doc, persisted: doc.version });
        found.set(id, doc);
      }
    }
    return found;
  }

  putMany(collection: string, writes: readonly DocumentWrite[]): Promise<PutResult> {
    assertWrites(writes);
    if (collection !== this.options.collection) {
      // a progress record must never claim more than what is written: it waits for the documents
      if (!writes.every((write) => write.expectedVersion === 'any')) return this.store.putMany(collection, writes);
      const held = this.after.get(collection) ?? new Map<string, DocumentWrite>();
      for (const write of writes) held.set(write.id, write);
      this.after.set(collection, held);
      return Promise.resolve({ conflicts: [] });
    }
    const conflicts: string[] = [];
    for (const { id, body, progress, expectedVersion } of writes) {
      const entry = this.held.get(id);
      const version = entry?.doc.version ?? 0;
      // a document neither held nor read first may be in the store: not this writer's to overwrite blindly
      const known = entry !== undefined || this.knownAbsent(id) || this.absent.has(id);
      if (!known || (expectedVersion !== 'any' && expectedVersion !== version)) {
        conflicts.push(id);
        continue;
      }
      this.held.set(id, {
        doc: { id, body, progress, version: version + 1 },
        persisted: entry?.persisted ?? 0,
      });
      if (!this.changed.has(id)) this.changed.set(id, this.batchStart);
      this.absent.delete(id);
    }
    return Promise.resolve({ conflicts });
  }

  ensureIndexes: ReadStore['ensureIndexes'] = (collection, fields) => this.store.ensureIndexes(collection, fields);

  query: ReadStore['query'] = (collection, query) => this.store.query(collection, query);
  count: ReadStore['count'] = (collection) => this.store.count(collection);
  listCollections: ReadStore['listCollections'] = () => this.store.listCollections();
  dropCollection: ReadStore['dropCollection'] = (collection) => this.store.dropCollection(collection);
  close: ReadStore['close'] = () => this.store.close();
}
