/**
 * Read store port: named collections of JSON documents, written by projection workers and read by the read API.
 * Adapters: SQLite (embedded) and MongoDB (FerretDB in tests). One contract suite runs against both.
 *
 * Exactly-once effects under at-least-once delivery: every document carries `progress`, the last sequence number
 * applied from each delivery source (e.g. `$all` → global position in embedded mode, `orders/2` → Kafka offset of
 * partition 2, or `order-42` → stream revision). A worker skips an event whose sequence is ≤ the document's
 * progress for that source, so a redelivered or replayed event changes nothing.
 *
 * Concurrent writers: a document fed by several partitions (a sales bucket) is written by several projector
 * processes. Every document carries a `version` (1 after the first write, +1 per write) and a write names the version
 * it was computed from; a write whose expected version no longer holds is refused and reported as a conflict, so the
 * writer reloads and folds again instead of overwriting the other writer's update. Writes are atomic per document
 * only (no multi-document transactions: FerretDB has none), which is enough because body, progress and version are
 * written together.
 */

export type Progress = Readonly<Record<string, number>>;

export interface StoredDocument<Body = Readonly<Record<string, unknown>>> {
  readonly id: string;
  readonly body: Body;
  readonly progress: Progress;
  /** 1 after the first write, +1 per write */
  readonly version: number;
}

/**
 * What a write expects of the stored document: `0` that it does not exist yet, `n` that it is at version n, `'any'`
 * nothing (an unconditional upsert, for documents with a single writer such as checkpoints and status documents).
 */
export type ExpectedVersion = number | 'any';

export interface DocumentWrite<Body = Readonly<Record<string, unknown>>> {
  readonly id: string;
  readonly body: Body;
  readonly progress: Progress;
  readonly expectedVersion: ExpectedVersion;
}

export interface PutResult {
  /** ids whose expected version did not hold: nothing was written for them (everything else was) */
  readonly conflicts: readonly string[];
}

export type Scalar = string | number | boolean;

/** A filter on one top-level body field: equality, or a range (inclusive bounds). */
export type FieldFilter =
  Scalar | { readonly gte?: Scalar; readonly lte?: Scalar; readonly lt?: Scalar; readonly gt?: Scalar };

export interface Query {
  readonly where?: Readonly<Record<string, FieldFilter>>;
  /** sort by a top-level body field, ties broken by id in the same direction (a stable order for cursors) */
  readonly orderBy?: { readonly field: string; readonly direction: 'asc' | 'desc' };
  readonly limit: number;
  /** opaque cursor from a previous page's `next` */
  readonly after?: string;
}

export interface Page<Body = Readonly<Record<string, unknown>>> {
  readonly items: readonly StoredDocument<Body>[];
  /** cursor for the next page; absent on the last page */
  readonly next?: string;
}

export interface ReadStore {
  get(collection: string, id: string): Promise<StoredDocument | undefined>;
  getMany(collection: string, ids: readonly string[]): Promise<ReadonlyMap<string, StoredDocument>>;
  /**
   * Writes whole documents (body and progress together), in bulk, each only if its expected version holds. A batch
   * names each id at most once. Rejects (writing nothing) when a write is malformed.
   */
  putMany(collection: string, writes: readonly DocumentWrite[]): Promise<PutResult>;
  query(collection: string, query: Query): Promise<Page>;
  count(collection: string): Promise<number>;
  /** declares the body fields queries filter and sort on, so the adapter can index them (idempotent) */
  ensureIndexes(collection: string, fields: readonly string[]): Promise<void>;
  listCollections(): Promise<readonly string[]>;
  dropCollection(collection: string): Promise<void>;
  close(): Promise<void>;
}

/** Thrown for a malformed or foreign cursor: the read API answers 400. */
export class InvalidCursorError extends Error {
  constructor(readonly cursor: string) {
    super(`invalid cursor ${cursor.slice(0, 40)}`);
    this.name = 'InvalidCursorError';
  }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
};

/**
 * The input rules every adapter enforces before it writes anything: ids non-empty and unique within the batch (two
 * writes of one id in one batch would race on an unordered backend), bodies and progress plain objects, progress
 * finite numbers, expected versions `'any'` or non-negative safe integers.
 */
export const assertWrites = (writes: readonly DocumentWrite[]): void => {
  const seen = new Set<string>();
  for (const write of writes) {
    if (typeof write.id !== 'string' || write.id === '')
      throw new TypeError('a document id must be a non-empty string');
    if (seen.has(write.id)) throw new RangeError(`document ${write.id} is written twice in one batch`);
    seen.add(write.id);
    if (!isPlainObject(write.body)) throw new TypeError(`document ${write.id}: body must be a plain object`);
    if (!isPlainObject(write.progress)) throw new TypeError(`document ${write.id}: progress must be a plain object`);
    for (const [source, sequence] of Object.entries(write.progress)) {
      if (typeof sequence !== 'number' || !Number.isFinite(sequence)) {
        throw new TypeError(`document ${write.id}: progress ${source} must be a finite number`);
      }
    }
    const expected: unknown = write.expectedVersion;
    if (expected !== 'any' && !(typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0)) {
      throw new TypeError(`document ${write.id}: expectedVersion must be 'any' or a non-negative integer`);
    }
  }
};
