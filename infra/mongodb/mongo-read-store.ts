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
  type OptionalUnlessRequiredId,
  type Sort,
} from 'mongodb';
import {
  assertWrites,
  type DocumentWrite,
  type FieldFilter,
  type Page,
  type Progress,
  type PutResult,
  type Query,
  type ReadStore,
  type Scalar,
  type StoredDocument,
} from '../../ports/read-store';
import { decodeCursor, encodeCursor, type CursorPosition } from '../read-store-cursor';
import { COLLECTION_NAME, assertCollectionName, assertFieldName, assertLimit } from '../read-store-names';

/**
 * Read store on MongoDB (FerretDB v1.24 in tests and CI): one MongoDB collection per read-model collection, each
 * document stored as `{ _id: id, body, progress, version }`, so queries filter and sort on `body.<field>`.
 *
 * Written for what FerretDB v1.24 (SQLite backend) supports and how it behaves:
 * - no transactions: every document is written on its own (insert or `$set` upsert), body and progress together;
 * - no field names that start with `$` or contain `.` (progress sources such as `$all` do), and no arrays directly
 *   inside arrays. Values are therefore encoded on write and decoded on read: keys escape `%` → `%25`, `.` → `%2E`,
 *   NUL → `%00` and a leading `$` → `%24`; an array inside an array is wrapped as `{ "%a": [...] }` (a key no escaped
 *   key can equal);
 * - its SQLite `_id` index is never used (FerretDB indexes `sjson->"_id"` but queries `sjson->'$._id'`), so every
 *   update by `_id` scans the collection, and every filter but exactly `{ _id: <string> }` (even `{ _id, version }`)
 *   decodes every document in Go. `putMany` therefore inserts first, in one `insert` command (one SQLite transaction), and updates only
 *   the documents that already existed; on MongoDB both are index lookups;
 * - `createIndexes` naming several indexes that already exist crashes the connection: indexes are created one by one;
 * - an update is not atomic: FerretDB selects the matching document, applies the operators in Go, then writes it back
 *   by `_id` unconditionally. Two `updateOne({ _id, version: n })` from two clients can both match and both write (a
 *   test of 2 × 200 increments ended at 318). Only an insert is atomic (the unique `_id`). Conditional writes are
 *   therefore guarded by claims, see `putMany`;
 * - an `update` command holds one pooled SQLite connection per statement until the command ends, and the pool has
 *   100 per database: a command of 100 statements waits forever for a 101st (measured: 99 statements take 0.5 s, 100
 *   never answer), and concurrent commands share the pool. Updates are therefore sent in commands of at most
 *   `UPDATES_PER_COMMAND` statements, one command at a time per store call.
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
  /**
   * How old another writer's claim must be before a conflicting writer takes it for abandoned (its writer crashed)
   * and completes its write; default 10 000 ms.
   */
  readonly claimGraceMs?: number;
  /** ms since the epoch; claims are stamped and aged with it (tests inject one) */
  readonly now?: () => number;
}

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
  /** missing on documents written before versions existed: they count as version 1 */
  version?: number;
}

/**
 * A writer's exclusive right to move one document from `version` to `version + 1`, holding the write itself so that
 * another writer can complete it if the claimant dies before writing.
 */
interface ClaimShape {
  /** `<collection>/<version>/<id>`: collection names hold no `/` and versions are digits, so ids cannot collide */
  _id: string;
  collection: string;
  id: string;
  version: number;
  /** ms since the epoch, on the claimant's clock */
  at: number;
  body: Document;
  progress: Document;
}

/** Collection names must start with a lowercase letter, so this one never shows among the read-model collections. */
const CLAIMS_COLLECTION = '_write_claims';
/** Well above how long a writer holds its claims (one batch of updates), so a live writer is not taken for dead. */
const DEFAULT_CLAIM_GRACE_MS = 10_000;
/** Small enough that several writers' commands together stay far below FerretDB's 100 connections (see above). */
const UPDATES_PER_COMMAND = 10;

const claimId = (collection: string, id: string, version: number): string => `${collection}/${version}/${id}`;

/** Matches the document at `version`; version 1 also matches a document written before versions existed. */
const atVersion = (id: string, version: number): Filter<StoredShape> =>
  version === 1 ? { _id: id, $or: [{ version: 1 }, { version: { $exists: false } }] } : { _id: id, version };

const versionOf = (stored: Pick<StoredShape, 'version'>): number => stored.version ?? 1;

type SortValue = string | number | boolean | null;

type Position = CursorPosition<SortValue>;

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
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

const toStored = (write: DocumentWrite): Pick<StoredShape, 'body' | 'progress'> => ({
  body: encodeValue(write.body) as Document,
  progress: encodeValue(write.progress) as Document,
});

const toDocument = (stored: StoredShape): StoredDocument => {
  const body = decodeValue(stored.body);
  const progress = decodeValue(stored.progress);
  if (!isPlainObject(body) || !isPlainObject(progress)) {
    throw new TypeError(`document ${stored._id} is not a read-store document (body and progress must be objects)`);
  }
  return { id: stored._id, body, progress: progress as Progress, version: versionOf(stored) };
};

/** Runs unordered updates in commands of UPDATES_PER_COMMAND statements, one after another; answers the matches. */
const updateAll = async (
  target: Collection<StoredShape>,
  updates: readonly AnyBulkWriteOperation<StoredShape>[],
): Promise<number> => {
  let matched = 0;
  for (let start = 0; start < updates.length; start += UPDATES_PER_COMMAND) {
    const result = await target.bulkWrite(updates.slice(start, start + UPDATES_PER_COMMAND), { ordered: false });
    matched += result.matchedCount;
  }
  return matched;
};

/** Inserts documents unordered; answers the indexes that failed on a duplicate `_id`, and throws on anything else. */
const insertAll = async <Shape extends { _id: string }>(
  target: Collection<Shape>,
  documents: readonly OptionalUnlessRequiredId<Shape>[],
): Promise<ReadonlySet<number>> => {
  if (documents.length === 0) return new Set();
  try {
    await target.insertMany([...documents], { ordered: false });
    return new Set();
  } catch (error) {
    if (!(error instanceof MongoBulkWriteError)) throw error;
    const failed = error.result.getWriteErrors();
    if (failed.length === 0 || failed.some((writeError) => writeError.code !== DUPLICATE_KEY)) throw error;
    return new Set(failed.map((writeError) => writeError.index));
  }
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
    private readonly claimGraceMs: number,
    private readonly now: () => number,
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

  /**
   * Expected 0 is an insert (a duplicate `_id` is the conflict); `'any'` inserts and, for the documents that exist,
   * `$set`s with `$inc: { version: 1 }`. Expected n ≥ 1 goes through claims, because FerretDB's conditional update is
   * not atomic (see above):
   * 1. insert one claim per write, `<collection>/<n>/<id>`: the unique `_id` lets exactly one writer move a document
   *    from version n, so only the version check below can fail, never a race between two writers of version n;
   * 2. a claim that already exists means a conflict; if it is older than the grace period its writer is taken for
   *    dead and its write is completed (an update conditional on version n, so a no-op if it already happened);
   * 3. read the claimed documents' versions: those still at n are updated (nobody else can move them), the others
   *    are conflicts;
   * 4. delete the claims. A claim left behind (a crash) blocks its document for the grace period, then step 2 ends
   *    it; a claim on version n is harmless once the document is past n.
   * On MongoDB the conditional update alone would do; the claims cost three extra round trips per batch there.
   */
  async putMany(collection: string, writes: readonly DocumentWrite[]): Promise<PutResult> {
    const target = this.collection(collection);
    assertWrites(writes);
    if (writes.length === 0) return { conflicts: [] };
    const creates = writes.filter((write) => write.expectedVersion === 0 || write.expectedVersion === 'any');
    // Insert first: new documents (a rebuild, a new order) go in one command; those that exist fail with a duplicate
    // key, cheaply. Looking them up first would cost FerretDB a full scan per batch.
    const duplicates = await insertAll(
      target,
      creates.map((write) => ({ _id: write.id, ...toStored(write), version: 1 })),
    );
    const existing = creates.filter((_write, index) => duplicates.has(index));
    const conflicts = new Set(existing.filter((write) => write.expectedVersion === 0).map((write) => write.id));
    // one after the other: concurrent update commands would share FerretDB's connections (see above)
    await this.overwrite(
      target,
      existing.filter((write) => write.expectedVersion === 'any'),
    );
    const conditionalConflicts = await this.putConditionally(
      collection,
      target,
      writes.flatMap((write) => {
        const from = write.expectedVersion;
        return from !== 'any' && from > 0 ? [{ write, from }] : [];
      }),
    );
    for (const id of conditionalConflicts) conflicts.add(id);
    return { conflicts: writes.filter((write) => conflicts.has(write.id)).map((write) => write.id) };
  }

  async query(collection: string, query: Query): Promise<Page> {
    const target = this.collection(collection);
    assertLimit(query.limit);
    const where = filterOf(query.where);
    if (query.orderBy !== undefined) assertFieldName(query.orderBy.field);
    const after = query.after === undefined ? undefined : decodeCursor(query, query.after, isSortValue);
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
    // An abandoned claim would otherwise be completed into the rebuilt collection once it reaches the same version.
    await this.db.collection<ClaimShape>(CLAIMS_COLLECTION).deleteMany({ collection });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.close();
  }

  /** Unconditional writes of existing documents. */
  private async overwrite(target: Collection<StoredShape>, writes: readonly DocumentWrite[]): Promise<void> {
    await updateAll(
      target,
      writes.map((write): AnyBulkWriteOperation<StoredShape> => ({
        // `$set` of both fields replaces the content; FerretDB runs it ~10x faster than replaceOne. The upsert
        // recreates a document deleted since the insert failed.
        updateOne: { filter: { _id: write.id }, update: { $set: toStored(write), $inc: { version: 1 } }, upsert: true },
      })),
    );
  }

  /** Writes expecting a version `from` ≥ 1 (steps in `putMany`); answers the conflicting ids. */
  private async putConditionally(
    collection: string,
    target: Collection<StoredShape>,
    writes: readonly { readonly write: DocumentWrite; readonly from: number }[],
  ): Promise<readonly string[]> {
    if (writes.length === 0) return [];
    const claims = this.db.collection<ClaimShape>(CLAIMS_COLLECTION);
    const at = this.now();
    const claimed = writes.map(({ write, from }): ClaimShape & { readonly from: number } => ({
      _id: claimId(collection, write.id, from),
      collection,
      id: write.id,
      version: from,
      at,
      ...toStored(write),
      from,
    }));
    const contended = await insertAll(
      claims,
      claimed.map(({ from: _from, ...claim }) => claim),
    );
    const owned = claimed.filter((_claim, index) => !contended.has(index));
    const conflicts = claimed.filter((_claim, index) => contended.has(index)).map((claim) => claim.id);
    const completed: string[] = [];
    try {
      completed.push(
        ...(await this.completeAbandoned(
          target,
          claimed.filter((_claim, index) => contended.has(index)),
        )),
      );
      if (owned.length === 0) return conflicts;
      const current = await target
        .find({ _id: { $in: owned.map((claim) => claim.id) } }, { projection: { version: 1 } })
        .toArray();
      const versions = new Map(current.map((stored) => [stored._id, versionOf(stored)]));
      const ready = owned.filter((claim) => versions.get(claim.id) === claim.from);
      conflicts.push(...owned.filter((claim) => versions.get(claim.id) !== claim.from).map((claim) => claim.id));
      if (ready.length === 0) return conflicts;
      let matched = 0;
      for (let start = 0; start < ready.length; start += UPDATES_PER_COMMAND) {
        // Before half the grace period nobody completes these claims, so each document is still at its claimed version
        // and `{ _id }` alone finds it: FerretDB pushes down only a filter that is exactly `{ _id }` (any other decodes
        // the whole collection, doubling the cost). Later, the version in the filter guards against a writer that took
        // this one for dead and completed its claims.
        const young = this.now() - at < this.claimGraceMs / 2;
        matched += await updateAll(
          target,
          ready.slice(start, start + UPDATES_PER_COMMAND).map((claim): AnyBulkWriteOperation<StoredShape> => ({
            updateOne: {
              filter: young ? { _id: claim.id } : atVersion(claim.id, claim.from),
              update: { $set: { body: claim.body, progress: claim.progress, version: claim.from + 1 } },
            },
          })),
        );
      }
      // A claimed document moves only under an unconditional write or a drop (which the contract leaves undefined), or
      // when this writer outlived the grace period and another completed its write: which write happened is unknown.
      if (matched !== ready.length) {
        throw new Error(
          `${collection}: ${ready.length - matched} of ${ready.length} claimed documents changed under their claims ` +
            '(an unconditional write or a drop raced conditional writes, or a claim outlived the grace period)',
        );
      }
      return conflicts;
    } finally {
      const release = [...owned.map((claim) => claim._id), ...completed];
      // A claim that fails to go is harmless (see putMany), and must not mask the error that is propagating.
      await claims.deleteMany({ _id: { $in: release } }).catch(() => undefined);
    }
  }

  /**
   * Completes the writes of claims older than the grace period, whose writers are taken for dead: each update is
   * conditional on the claimed version, so it does nothing if the write happened. Answers the claims completed.
   */
  private async completeAbandoned(
    target: Collection<StoredShape>,
    contended: readonly ClaimShape[],
  ): Promise<readonly string[]> {
    if (contended.length === 0) return [];
    const found = await this.db
      .collection<ClaimShape>(CLAIMS_COLLECTION)
      .find({ _id: { $in: contended.map((claim) => claim._id) } })
      .toArray();
    const cutoff = this.now() - this.claimGraceMs;
    const abandoned = found.filter((claim) => claim.at <= cutoff);
    if (abandoned.length === 0) return [];
    await updateAll(
      target,
      abandoned.map((claim): AnyBulkWriteOperation<StoredShape> => ({
        updateOne: {
          filter: atVersion(claim.id, claim.version),
          update: { $set: { body: claim.body, progress: claim.progress, version: claim.version + 1 } },
        },
      })),
    );
    return abandoned.map((claim) => claim._id);
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
    return new MongoReadStore(client, db, options.claimGraceMs ?? DEFAULT_CLAIM_GRACE_MS, options.now ?? Date.now);
  } catch (error) {
    await client.close().catch(() => undefined);
    throw error;
  }
};
