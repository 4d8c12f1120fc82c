/**
 * Read store port: named collections of JSON documents, written by projection workers and read by the read API.
 * Adapters: SQLite (embedded) and MongoDB (FerretDB in tests). One contract suite runs against both.
 *
 * Exactly-once effects under at-least-once delivery: every document carries `progress`, the last sequence number
 * applied from each delivery source (e.g. `$all` → global position in embedded mode, `orders/2` → Kafka offset of
 * partition 2, or `order-42` → stream revision). A worker skips an event whose sequence is ≤ the document's
 * progress for that source, so a redelivered or replayed event changes nothing. Writes are per document
 * (no multi-document transactions: FerretDB has none), and that is enough because each document's body and
 * progress are written together.
 */

export type Progress = Readonly<Record<string, number>>;

export interface StoredDocument<Body = Readonly<Record<string, unknown>>> {
  readonly id: string;
  readonly body: Body;
  readonly progress: Progress;
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
  /** upserts whole documents (body and progress together), in bulk */
  putMany(collection: string, documents: readonly StoredDocument[]): Promise<void>;
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
