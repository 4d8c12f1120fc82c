import {
  MongoBulkWriteError,
  MongoClient,
  MongoServerError,
  type AnyBulkWriteOperation,
  type Collection,
  type Db,
  type Document,
  type Filter,
  type MongoClientOptions,
  type Sort,
} from 'mongodb';
import {
  InvalidCursorError,
  type FieldFilter,
  type Page,
  type Progress,
  type Query,
  type ReadStore,
  type Scalar,
  type StoredDocument,
} from '../ports/read-store';

/**
 * Read store on MongoDB (FerretDB v1.24 in tests and CI): one MongoDB collection per read-model collection, each
 * document stored as `{ _id: id, body, progress }`, so queries filter and sort on `body.<field>`.
 *
 * Written for what FerretDB v1.24 (SQLite backend) supports and how it behaves:
 * - no transactions: every document is written on its own (insert or `$set` upsert), body and progress together;
 * - no field names that start with `$` or contain `.` (progress sources such as `$all` do), and no arrays directly
 *   inside arrays. Values are therefore encoded on write and decoded on read: keys escape `%` → `%25`, `.` → `%2E`,
 *   NUL → `%00` and a leading `$` → `%24`; an array inside an array is wrapped as `{ "%a": [...] }` (a key no escaped
 *   key can equal);
 * - its SQLite `_id` index is never used (FerretDB indexes `sjson->"_id"` but queries `sjson->'$._id'`), so every
 *   update by `_id` scans the collection, and queries it cannot push down (all but `_id` equality) decode every
 *   document. `putMany` therefore inserts first, in one `insert` command (one SQLite transaction), and updates only
 *   the documents that already existed; on MongoDB both are index lookups;
 * - `createIndexes` naming several indexes that already exist crashes the connection: indexes are created one by one.
 *
 * Pages use keyset pagination on (sort value, _id) with the same cursor shape as the SQLite adapter. Documents whose
 * sort field is missing or null come first ascending and last descending (MongoDB's order) and are read as their own
 * segment, since `$gt`/`$lt` never match null. A sort field must hold one scalar type across the collection (or be
 * missing): MongoDB's comparison operators only match values of the bound's own type.
 */

export interface MongoReadStoreOptions {
  /** e.g. `mongodb://127.0.0.1:27017/` */
  readonly url: string;
  readonly database: string;
  /** overrides of the bounded defaults (5 s server selection and connect, 30 s socket) */
  readonly clientOptions?: MongoClientOptions;
}

const COLLECTION_NAME = /^[a-z][a-z0-9_]{0,62}$/;
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const NAMESPACE_NOT_FOUND = 26;
const NAMESPACE_EXISTS = 48;
const DUPLICATE_KEY = 11000;

const clientDefaults: MongoClientOptions = {
  serverSelectionTimeoutMS: 5_000,
  connectTimeoutMS: 5_000,
  socketTimeoutMS: 30_000,
  waitQueueTimeoutMS: 10_000,
  appName: 'commerce-engine-read-store',
};

interface StoredShape {
  _id: string;
  body: Document;
  progress: Document;
}

type SortValue = string | number | boolean | null;

interface Position {
  readonly value: SortValue;
  readonly id: string;
}

const assertCollectionName = (collection: string): void => {
  if (!COLLECTION_NAME.test(collection)) {
    throw new RangeError(`invalid collection name ${JSON.stringify(collection)}: expected ${COLLECTION_NAME.source}`);
  }
};

const assertFieldName = (field: string): void => {
  if (!FIELD_NAME.test(field)) {
    throw new RangeError(`invalid body field name ${JSON.stringify(field)}: expected ${FIELD_NAME.source}`);
  }
};

const assertLimit = (limit: number): void => {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
};

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
};

const assertDocument = (document: StoredDocument): void => {
  if (typeof document.id !== 'string' || document.id === '') throw new TypeError('a document id must be a string');
  if (!isPlainObject(document.body)) throw new TypeError(`document ${document.id}: body must be an object`);
  if (!isPlainObject(document.progress)) throw new TypeError(`document ${document.id}: progress must be an object`);
  for (const [source, sequence] of Object.entries(document.progress)) {
    if (typeof sequence !== 'number' || !Number.isFinite(sequence)) {
      throw new TypeError(`document ${document.id}: progress ${source} must be a finite number`);
    }
  }
};

/** The last version of each id: a batch naming an id twice means its last version (unordered writes would race). */
const lastVersions = (documents: readonly StoredDocument[]): StoredDocument[] => {
  const byId = new Map<string, StoredDocument>();
  for (const document of documents) {
    assertDocument(document);
    byId.set(document.id, document);
  }
  return [...byId.values()];
};

const NEEDS_ESCAPE = /[%.\0]|^\$/;
const escapeKey = (key: string): string =>
  NEEDS_ESCAPE.test(key)
    ? key.replaceAll('%', '%25').replaceAll('.', '%2E').replaceAll('\0', '%00').replace(/^\$/, '%24')
    : key;
const unescapeKey = (key: string): string =>
  key.includes('%')
    ? key.replace(/%(25|2E|00|24)/g, (_match, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
    : key;

const NESTED_ARRAY = '%a';

/** Escapes keys at any depth and wraps arrays inside arrays; `Object.fromEntries` keeps `__proto__` a plain key. */
const encodeValue = (value: unknown, insideArray = false): unknown => {
  if (Array.isArray(value)) {
    const items = value.map((item: unknown) => encodeValue(item, true));
    return insideArray ? { [NESTED_ARRAY]: items } : items;
  }
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [escapeKey(key), encodeValue(item)]));
};

const decodeValue = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(decodeValue);
  if (!isPlainObject(value)) return value;
  const keys = Object.keys(value);
  const wrapped = value[NESTED_ARRAY];
  if (keys.length === 1 && Array.isArray(wrapped)) return decodeValue(wrapped);
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [unescapeKey(key), decodeValue(item)]));
};

const toStored = (document: StoredDocument): Omit<StoredShape, '_id'> => ({
  body: encodeValue(document.body) as Document,
  progress: encodeValue(document.progress) as Document,
});

const toDocument = (stored: StoredShape): StoredDocument => {
  const body = decodeValue(stored.body);
  const progress = decodeValue(stored.progress);
  if (!isPlainObject(body) || !isPlainObject(progress)) {
    throw new TypeError(`document ${stored._id} is not a read-store document (body and progress must be objects)`);
  }
  return { id: stored._id, body, progress: progress as Progress };
};

type ScalarKind = 'string' | 'number' | 'boolean';

const scalarKind = (value: Scalar): ScalarKind => {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number' && Number.isFinite(value)) return 'number';
  throw new TypeError(`a filter value must be a string, a finite number or a boolean, got ${String(value)}`);
};

const RANGE_OPERATORS = { gt: '$gt', gte: '$gte', lt: '$lt', lte: '$lte' } as const;
type RangeOperator = keyof typeof RANGE_OPERATORS;
const isRangeOperator = (key: string): key is RangeOperator => Object.hasOwn(RANGE_OPERATORS, key);

const bodyPath = (field: string): string => `body.${field}`;

const conditionOf = (field: string, filter: FieldFilter): Document => {
  if (typeof filter !== 'object') {
    scalarKind(filter);
    return { $eq: filter };
  }
  let kind: ScalarKind | undefined;
  const condition: Document = {};
  // `{ gte: undefined }` type-checks (optional properties), so an undefined bound is skipped, not compared.
  const bounds: [string, Scalar | undefined][] = Object.entries(filter);
  for (const [operator, bound] of bounds) {
    if (bound === undefined) continue;
    if (!isRangeOperator(operator)) throw new RangeError(`unknown range operator ${operator} on ${field}`);
    const boundKind = scalarKind(bound);
    // SQLite and MongoDB would disagree on mixed bounds; no read model needs them.
    if (kind !== undefined && kind !== boundKind) throw new RangeError(`the bounds on ${field} mix value types`);
    kind = boundKind;
    condition[RANGE_OPERATORS[operator]] = bound;
  }
  if (kind === undefined) throw new RangeError(`the range filter on ${field} has no bound`);
  return condition;
};

const filterOf = (where: Query['where']): Document[] =>
  Object.entries(where ?? {}).map(([field, filter]) => {
    assertFieldName(field);
    return { [bodyPath(field)]: conditionOf(field, filter) };
  });

const isSortValue = (value: unknown): value is SortValue =>
  value === null ||
  typeof value === 'string' ||
  typeof value === 'boolean' ||
  (typeof value === 'number' && Number.isFinite(value));

/** Cursor: base64url of JSON `{ f?: sort field, d?: direction, v?: sort value (null: missing), i: id }`. */
const encodeCursor = (query: Query, position: Position): string => {
  const json =
    query.orderBy === undefined
      ? { i: position.id }
      : { f: query.orderBy.field, d: query.orderBy.direction, v: position.value, i: position.id };
  return Buffer.from(JSON.stringify(json), 'utf8').toString('base64url');
};

const decodeCursor = (query: Query, cursor: string): Position => {
  const invalid = (): InvalidCursorError => new InvalidCursorError(cursor);
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  const bytes = Buffer.from(cursor, 'base64url');
  // Node's decoder skips what it cannot read: a cursor is valid only if it is the canonical encoding of its bytes.
  if (bytes.toString('base64url') !== cursor) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!isPlainObject(parsed) || typeof parsed.i !== 'string') throw invalid();
  const { orderBy } = query;
  if (orderBy === undefined) {
    if (Object.keys(parsed).length !== 1) throw invalid();
    return { value: null, id: parsed.i };
  }
  // A cursor from a page in another order would skip or repeat documents; only scalars reach a query operator.
  if (parsed.f !== orderBy.field || parsed.d !== orderBy.direction || !isSortValue(parsed.v)) throw invalid();
  return { value: parsed.v, id: parsed.i };
};

interface Segment {
  readonly filter: readonly Document[];
  readonly sort: Sort;
}

/**
 * The keyset ranges a page reads, in page order (see the SQLite adapter: same segments). The keyset condition is
 * `value ≥ v AND (value > v OR _id > id)` so an index on (value, _id) bounds the scan on a real MongoDB.
 */
const segmentsOf = (query: Query, after: Position | undefined): Segment[] => {
  const { orderBy } = query;
  if (orderBy === undefined) {
    return [{ filter: after === undefined ? [] : [{ _id: { $gt: after.id } }], sort: { _id: 1 } }];
  }
  const path = bodyPath(orderBy.field);
  const direction = orderBy.direction === 'asc' ? 1 : -1;
  const beyond = orderBy.direction === 'asc' ? '$gt' : '$lt';
  const atLeast = orderBy.direction === 'asc' ? '$gte' : '$lte';
  const valued: Segment = {
    filter: [
      { [path]: { $ne: null } },
      ...(after === undefined || after.value === null
        ? []
        : [
            { [path]: { [atLeast]: after.value } },
            { $or: [{ [path]: { [beyond]: after.value } }, { _id: { [beyond]: after.id } }] },
          ]),
    ],
    sort: { [path]: direction, _id: direction },
  };
  const missing: Segment = {
    filter: [
      { [path]: null },
      ...(after === undefined || after.value !== null ? [] : [{ _id: { [beyond]: after.id } }]),
    ],
    sort: { _id: direction },
  };
  // Every filter excludes missing values, so a filter on the sort field leaves the missing segment empty.
  const missingCanMatch = query.where?.[orderBy.field] === undefined;
  if (orderBy.direction === 'asc') {
    if (after !== undefined && after.value !== null) return [valued];
    return missingCanMatch ? [missing, valued] : [valued];
  }
  if (after !== undefined && after.value === null) return missingCanMatch ? [missing] : [];
  return missingCanMatch ? [valued, missing] : [valued];
};

const sortValueOf = (stored: StoredShape, field: string): SortValue => {
  const value: unknown = stored.body[field];
  if (value === undefined) return null;
  if (!isSortValue(value)) {
    throw new TypeError(`document ${stored._id}: sort field ${field} must hold a string, number or boolean`);
  }
  return value;
};

class MongoReadStore implements ReadStore {
  private closed = false;

  constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
  ) {}

  async get(collection: string, id: string): Promise<StoredDocument | undefined> {
    const stored = await this.collection(collection).findOne({ _id: id });
    return stored === null ? undefined : toDocument(stored);
  }

  async getMany(collection: string, ids: readonly string[]): Promise<ReadonlyMap<string, StoredDocument>> {
    const target = this.collection(collection);
    const found = new Map<string, StoredDocument>();
    if (ids.length === 0) return found;
    for (const stored of await target.find({ _id: { $in: [...new Set(ids)] } }).toArray()) {
      found.set(stored._id, toDocument(stored));
    }
    return found;
  }

  async putMany(collection: string, documents: readonly StoredDocument[]): Promise<void> {
    const target = this.collection(collection);
    const latest = lastVersions(documents);
    if (latest.length === 0) return;
    // Insert first: new documents (a rebuild, a new order) go in one command; those that exist fail with a duplicate
    // key, cheaply, and are then updated. Looking them up first would cost FerretDB a full scan per batch.
    let duplicates: readonly StoredDocument[] = [];
    try {
      await target.insertMany(
        latest.map((document) => ({ _id: document.id, ...toStored(document) })),
        { ordered: false },
      );
    } catch (error) {
      if (!(error instanceof MongoBulkWriteError)) throw error;
      const failed = error.result.getWriteErrors();
      if (failed.length === 0 || failed.some((writeError) => writeError.code !== DUPLICATE_KEY)) throw error;
      duplicates = failed.flatMap((writeError) => latest.slice(writeError.index, writeError.index + 1));
    }
    if (duplicates.length === 0) return;
    await target.bulkWrite(
      duplicates.map((document): AnyBulkWriteOperation<StoredShape> => ({
        // `$set` of both fields replaces the content; FerretDB runs it ~10x faster than replaceOne. The upsert
        // recreates a document deleted since the insert failed.
        updateOne: { filter: { _id: document.id }, update: { $set: toStored(document) }, upsert: true },
      })),
      { ordered: false },
    );
  }

  async query(collection: string, query: Query): Promise<Page> {
    const target = this.collection(collection);
    assertLimit(query.limit);
    const where = filterOf(query.where);
    if (query.orderBy !== undefined) assertFieldName(query.orderBy.field);
    const after = query.after === undefined ? undefined : decodeCursor(query, query.after);
    const found: StoredShape[] = [];
    for (const segment of segmentsOf(query, after)) {
      const wanted = query.limit + 1 - found.length;
      if (wanted <= 0) break;
      const conditions = [...where, ...segment.filter];
      const filter: Filter<StoredShape> = conditions.length === 0 ? {} : { $and: conditions };
      found.push(...(await target.find(filter).sort(segment.sort).limit(wanted).toArray()));
    }
    const items = found.slice(0, query.limit);
    const last = items.at(-1);
    if (found.length <= query.limit || last === undefined) return { items: items.map(toDocument) };
    const value = query.orderBy === undefined ? null : sortValueOf(last, query.orderBy.field);
    return { items: items.map(toDocument), next: encodeCursor(query, { value, id: last._id }) };
  }

  async count(collection: string): Promise<number> {
    return this.collection(collection).countDocuments({});
  }

  async ensureIndexes(collection: string, fields: readonly string[]): Promise<void> {
    const target = this.collection(collection);
    for (const field of fields) assertFieldName(field);
    if (fields.length === 0) {
      // Declaring no index still declares the collection, as on SQLite.
      await this.db.createCollection(collection).catch((error: unknown) => {
        if (!(error instanceof MongoServerError && error.code === NAMESPACE_EXISTS)) throw error;
      });
      return;
    }
    for (const field of new Set(fields)) {
      await target.createIndex({ [bodyPath(field)]: 1, _id: 1 }, { name: `${bodyPath(field)}_1__id_1` });
    }
  }

  async listCollections(): Promise<readonly string[]> {
    this.assertOpen();
    const collections = await this.db.listCollections({}, { nameOnly: true }).toArray();
    // System collections (`system.*`) never match the name pattern.
    return collections
      .map((info) => info.name)
      .filter((name) => COLLECTION_NAME.test(name))
      .sort();
  }

  async dropCollection(collection: string): Promise<void> {
    try {
      await this.collection(collection).drop();
    } catch (error) {
      if (!(error instanceof MongoServerError && error.code === NAMESPACE_NOT_FOUND)) throw error;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the read store is closed');
  }

  private collection(collection: string): Collection<StoredShape> {
    this.assertOpen();
    assertCollectionName(collection);
    return this.db.collection<StoredShape>(collection);
  }
}

/** Connects to MongoDB (bounded: 5 s server selection) and pings the database before handing out the store. */
export const openMongoReadStore = async (options: MongoReadStoreOptions): Promise<ReadStore> => {
  const client = new MongoClient(options.url, { ...clientDefaults, ...options.clientOptions });
  try {
    await client.connect();
    // Integers must come back as JS numbers and undefined must vanish, exactly as through JSON on SQLite.
    const db = client.db(options.database, {
      promoteLongs: true,
      promoteValues: true,
      useBigInt64: false,
      ignoreUndefined: true,
    });
    await db.command({ ping: 1 });
    return new MongoReadStore(client, db);
  } catch (error) {
    await client.close().catch(() => undefined);
    throw error;
  }
};
