import { setTimeout as delay } from 'node:timers/promises';
import {
  MongoBulkWriteError,
  MongoClient,
  MongoNetworkError,
  MongoServerError,
  MongoServerSelectionError,
  type AnyBulkWriteOperation,
  type Collection,
  type Db,
  type Document,
  type Filter,
  type MongoClientOptions,
  type OptionalUnlessRequiredId,
  type Sort,
} from 'mongodb';
import { StoreUnavailableError } from '../../ports/event-store';
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
import {
  isJsonSortValue,
  isRangeOperator,
  scalarKind,
  type JsonSortValue,
  type RangeOperator,
  type ScalarKind,
} from '../read-store-filters';
import { COLLECTION_NAME, assertCollectionName, assertFieldName, assertLimit } from '../read-store-names';

/**
 * Read store on MongoDB (FerretDB v1.24 in tests and CI): one MongoDB collection per read-model collection, each
 * document stored as `{ _id: id, body, progress, version }`, so queries filter and sort on `body.<field>`.
 *
 * Written for what FerretDB v1.24 (SQLite backend) supports and how it behaves:
 * - no transactions: every document is written on its own (insert or `$set` upsert), body and progress together;
 * - no field names that start with `$` or contain `.` (progress sources such as `$all` do), and no arrays directly
 *   inside arrays; on its PostgreSQL backend, no NUL inside a string value (jsonb refuses it). Values are therefore
 *   encoded on write and decoded on read: keys escape `%` → `%25`, `.` → `%2E`, NUL → `%00` and a leading `$` → `%24`;
 *   string values escape NUL → U+0001 U+0001 and U+0001 → U+0001 U+0002 (order-preserving, so filters and sorts on
 *   them hold; see `escapeString`); an array inside an array is wrapped as `{ "%a": [...] }` (a key no escaped key can
 *   equal);
 * - its SQLite backend's `_id` index is never used: FerretDB creates it on `_ferretdb_sjson->"_id"` but queries
 *   `_ferretdb_sjson->'$._id'`, which SQLite takes for another expression, so every lookup and update by `_id` scans
 *   the table (an index on the queried expression made them ~100× faster here; FerretDB's files are left as they
 *   are). Its PostgreSQL backend matches `_id` with `@>`, which its btree index cannot serve either. On SQLite every
 *   filter but exactly `{ _id: <string> }` (even `{ _id, version }`), and `$in` on every backend, is not handed to the
 *   backend at all: FerretDB decodes every document of the collection in Go. So reads by id are lookups `{ _id }`,
 *   4 in flight, and one `$in` only past `lookupsByIdMax` ids (default 16), where that one decoding pass costs less
 *   (measured here: one `$in` on 10,000 documents ≈ 15–20 lookups by `_id`); `putMany` inserts first, in one
 *   `insert` command (one SQLite transaction), and updates only the documents that already existed. On MongoDB all
 *   of these are index lookups;
 * - `putMany` gets each document at most once per call (`assertWrites`; the projection worker and the write-back store
 *   coalesce a batch's changes per document first), so a batch is one update statement per document;
 * - `createIndexes` naming several indexes that already exist crashes the connection: indexes are created one by one;
 * - an update is not atomic: FerretDB selects the matching document, applies the operators in Go, then writes it back
 *   by `_id` unconditionally. Two `updateOne({ _id, version: n })` from two clients can both match and both write (a
 *   test of 2 × 200 increments ended at 318). Only an insert is atomic (the unique `_id`). Conditional writes are
 *   therefore guarded by claims, see `putMany`;
 * - an `update` command holds one pooled SQLite connection per statement until the command ends, and the pool has
 *   100 per database: a command of 100 statements waits forever for a 101st (measured: 99 statements take 0.5 s, 100
 *   never answer), and concurrent commands share the pool. Updates are therefore sent in commands of at most
 *   `UPDATES_PER_COMMAND` statements, one command at a time per store call;
 * - a write may still run on the server after its socket timed out. The driver never retries a write itself
 *   (`retryWrites: false`), and after a write of unknown outcome the store closes that client and opens a fresh one
 *   only after a quiet period longer than the socket timeout (`QuietReconnect`): the projector's retry of the batch
 *   waits instead of running next to the write it retries.
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
  /**
   * After a write whose outcome is unknown (its socket timed out or broke: the server may still be running it), how
   * long the store sends nothing before it connects a fresh client; default the socket timeout + 5 000 ms, so a
   * retried batch never runs next to the one it retries.
   */
  readonly quietAfterUnknownWriteMs?: number;
  /**
   * Reads of up to this many ids per call are lookups `{ _id }` (which FerretDB hands to its backend), more are one
   * `$in` (which FerretDB answers by decoding the whole collection); default 16, measured on FerretDB's SQLite
   * backend. On MongoDB itself both are index lookups and a smaller value saves round trips.
   */
  readonly lookupsByIdMax?: number;
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

/**
 * The client options the store connects with: the bounded defaults, the caller's overrides, and never a write
 * retried by the driver itself (a retry after a socket timeout could run next to the write it retries; FerretDB has
 * no sessions to make it idempotent). Options given here win over the URL's (`?retryWrites=true` included).
 */
export const readStoreClientOptions = (overrides: MongoClientOptions = {}): MongoClientOptions => ({
  ...clientDefaults,
  ...overrides,
  retryWrites: false,
});

/** Added to the socket timeout for the default quiet period after a write of unknown outcome. */
const QUIET_MARGIN_MS = 5_000;

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

type SortValue = JsonSortValue;

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

/** The escape character of string values: U+0001, itself escaped when a value holds it. */
const VALUE_ESCAPE = '\u0001';
const ESCAPED_NUL = '\u0001\u0001';
const ESCAPED_ESCAPE = '\u0001\u0002';

/**
 * String values: NUL → U+0001 U+0001 and U+0001 → U+0001 U+0002 (FerretDB's PostgreSQL backend refuses a NUL inside a
 * string, as jsonb does). Every other string, which is nearly all, is stored as it is. The code keeps the order of
 * strings (each escaped character sorts where the one it stands for did, and no code is a prefix of another), so
 * range filters and sorting mean the same on stored values; filter bounds are escaped the same way.
 */
export const escapeString = (value: string): string =>
  value.includes('\0') || value.includes(VALUE_ESCAPE)
    ? value.replaceAll(VALUE_ESCAPE, ESCAPED_ESCAPE).replaceAll('\0', ESCAPED_NUL)
    : value;

/**
 * Every U+0001 in an escaped string starts a two-character code, so the leftmost matches of the first pass are
 * exactly the NUL codes, and the U+0001 left after it each start an escaped U+0001.
 */
export const unescapeString = (value: string): string =>
  value.includes(VALUE_ESCAPE) ? value.replaceAll(ESCAPED_NUL, '\0').replaceAll(ESCAPED_ESCAPE, VALUE_ESCAPE) : value;

const NESTED_ARRAY = '%a';

/**
 * Escapes keys and string values at any depth and wraps arrays inside arrays; `Object.fromEntries` keeps `__proto__`
 * a plain key.
 */
const encodeValue = (value: unknown, insideArray = false): unknown => {
  if (typeof value === 'string') return escapeString(value);
  if (Array.isArray(value)) {
    const items = value.map((item: unknown) => encodeValue(item, true));
    return insideArray ? { [NESTED_ARRAY]: items } : items;
  }
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [escapeKey(key), encodeValue(item)]));
};

const decodeValue = (value: unknown): unknown => {
  if (typeof value === 'string') return unescapeString(value);
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

const RANGE_OPERATORS: Readonly<Record<RangeOperator, string>> = { gt: '$gt', gte: '$gte', lt: '$lt', lte: '$lte' };

const bodyPath = (field: string): string => `body.${field}`;

/** A scalar as stored: strings escaped like every string value. */
const storedScalar = (value: Scalar): Scalar => (typeof value === 'string' ? escapeString(value) : value);

const conditionOf = (field: string, filter: FieldFilter): Document => {
  if (typeof filter !== 'object') {
    scalarKind(filter);
    return { $eq: storedScalar(filter) };
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
    condition[RANGE_OPERATORS[operator]] = storedScalar(bound);
  }
  if (kind === undefined) throw new RangeError(`the range filter on ${field} has no bound`);
  return condition;
};

const filterOf = (where: Query['where']): Document[] =>
  Object.entries(where ?? {}).map(([field, filter]) => {
    assertFieldName(field);
    return { [bodyPath(field)]: conditionOf(field, filter) };
  });

const isSortValue = isJsonSortValue;

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
  // the cursor holds the value as read (unescaped); the bound compares with stored values
  const bound = after === undefined || after.value === null ? null : storedScalar(after.value);
  const valued: Segment = {
    filter: [
      { [path]: { $ne: null } },
      ...(after === undefined || bound === null
        ? []
        : [
            { [path]: { [atLeast]: bound } },
            { $or: [{ [path]: { [beyond]: bound } }, { _id: { [beyond]: after.id } }] },
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
  return typeof value === 'string' ? unescapeString(value) : value;
};

/**
 * Up to this many ids are looked up one by one; more take one `$in`. Measured on FerretDB's SQLite backend with
 * 10,000 documents (`bench/ferretdb-read-store.ts`): one `$in` cost as much as 15–20 lookups by `_id`.
 */
const DEFAULT_LOOKUPS_BY_ID_MAX = 16;
/** Lookups by `_id` in flight at once per store call. */
const LOOKUP_CONCURRENCY = 4;

/** Runs `task` over `items`, at most `limit` at a time; answers the results in the order of `items`. */
const mapBounded = async <Item, Result>(
  items: readonly Item[],
  limit: number,
  task: (item: Item) => Promise<Result>,
): Promise<Result[]> => {
  const results = new Array<Result>(items.length);
  // one iterator shared by the runners: each takes the next item when it is free
  const queue = items.entries();
  const runner = async (): Promise<void> => {
    for (const [index, item] of queue) results[index] = await task(item);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, runner));
  return results;
};

/**
 * The documents with these ids, found by lookups FerretDB hands to its backend: a filter that is exactly
 * `{ _id: <string> }` (an SQL query on the id), never `$in` (FerretDB decodes every document of the collection in Go
 * for it, on every backend). Past `max` ids the lookups together cost more than that one pass, and one `$in` is sent
 * instead; on MongoDB both are index lookups.
 */
const findByIds = async <Shape>(
  ids: readonly string[],
  max: number,
  one: (id: string) => Promise<Shape | null>,
  many: (ids: string[]) => Promise<Shape[]>,
): Promise<Shape[]> => {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  if (unique.length > max) return many(unique);
  const found = await mapBounded(unique, LOOKUP_CONCURRENCY, one);
  return found.filter((stored): stored is Shape => stored !== null);
};

/**
 * Whether a failed write may still be running on the server: its socket timed out or broke. Bulk writes (`insertMany`,
 * `bulkWrite`) wrap that network error in a MongoBulkWriteError without a write error or write concern error of its
 * own (any driver-side failure looks so; taking one that was never sent for unknown costs only a quiet period).
 */
export const outcomeUnknown = (error: unknown): boolean =>
  error instanceof MongoNetworkError ||
  (error instanceof MongoBulkWriteError &&
    error.result.getWriteErrors().length === 0 &&
    error.result.getWriteConcernError() === undefined);

/**
 * `error` as a `StoreUnavailableError` (which the read API answers with 503) when it says the server cannot be reached
 * now: a connection that broke or timed out (also inside a bulk write), or no server to select; anything else as it
 * is.
 */
const unavailableOr = (error: unknown): Error => {
  const failure = error instanceof Error ? error : new Error(String(error));
  return outcomeUnknown(error) || error instanceof MongoServerSelectionError
    ? new StoreUnavailableError('MongoDB', failure)
    : failure;
};

const rethrowUnavailable = (error: unknown): never => {
  throw unavailableOr(error);
};

/** Ends early (rejecting) when the store is closed, so a stopping process is not held open by its quiet period. */
const sleep = (ms: number, signal: AbortSignal): Promise<void> => delay(ms, undefined, { signal });

/**
 * Holds the store's connection and the rule that keeps a retried write from running next to the one it retries:
 * when a write ends without an answer (its socket timed out or broke) the server may still be running it, so that
 * connection is closed and the next one opens only after a quiet period longer than the socket timeout. Every call
 * meanwhile waits (a projector's retried batch, in particular, waits instead of failing into a dead letter).
 */
export class QuietReconnect<Connection> {
  private current: Promise<Connection> | undefined;
  /** the connection `current` resolved to, to close */
  private opened: Connection | undefined;
  private quietUntil = Number.NEGATIVE_INFINITY;
  private closed = false;
  private readonly closing = new AbortController();

  constructor(
    initial: Connection,
    private readonly open: () => Promise<Connection>,
    private readonly shut: (connection: Connection) => Promise<void>,
    private readonly quietMs: number,
    private readonly now: () => number,
    private readonly wait: (ms: number, signal: AbortSignal) => Promise<void> = sleep,
  ) {
    this.opened = initial;
    this.current = Promise.resolve(initial);
  }

  /** The connection to send on: the current one, or a fresh one once the quiet period is over. */
  connection(): Promise<Connection> {
    if (this.closed) return Promise.reject(closedError());
    this.current ??= this.reopen();
    return this.current;
  }

  /**
   * A write sent on `connection` ended without an answer: close it, and open none before the quiet period ends. A
   * second such write on the same connection extends the period.
   */
  failed(connection: Promise<Connection>): void {
    this.quietUntil = Math.max(this.quietUntil, this.now() + this.quietMs);
    if (this.current !== connection) return;
    this.current = undefined;
    connection
      .then((dropped) => {
        if (this.opened === dropped) this.opened = undefined;
        return this.shut(dropped);
      })
      .catch(() => undefined);
  }

  /** Closes the open connection; a reopen still waiting out its quiet period opens nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    this.current = undefined;
    const opened = this.opened;
    this.opened = undefined;
    if (opened !== undefined) await this.shut(opened);
  }

  private isClosed(): boolean {
    return this.closed;
  }

  private reopen(): Promise<Connection> {
    const opening = (async () => {
      for (let left = this.quietUntil - this.now(); left > 0; left = this.quietUntil - this.now()) {
        await this.wait(left, this.closing.signal).catch((error: unknown) => {
          throw this.isClosed() ? closedError() : error;
        });
      }
      if (this.closed) throw closedError();
      const connection = await this.open();
      // closed while connecting (a method call: the checker cannot see `closed` change across the await)
      if (this.isClosed()) {
        await this.shut(connection).catch(() => undefined);
        throw closedError();
      }
      this.opened = connection;
      return connection;
    })();
    // a failed open is not kept: the next call tries again
    opening.catch(() => {
      if (this.current === opening) this.current = undefined;
    });
    return opening;
  }
}

const closedError = (): Error => new Error('the read store is closed');

interface Connection {
  readonly client: MongoClient;
  readonly db: Db;
}

class MongoReadStore implements ReadStore {
  constructor(
    private readonly link: QuietReconnect<Connection>,
    private readonly claimGraceMs: number,
    private readonly now: () => number,
    private readonly lookupsByIdMax: number,
  ) {}

  async get(collection: string, id: string): Promise<StoredDocument | undefined> {
    return this.reading(async (db) => {
      const stored = await this.collection(db, collection).findOne({ _id: id });
      return stored === null ? undefined : toDocument(stored);
    });
  }

  async getMany(collection: string, ids: readonly string[]): Promise<ReadonlyMap<string, StoredDocument>> {
    return this.reading(async (db) => {
      const target = this.collection(db, collection);
      const found = new Map<string, StoredDocument>();
      const stored = await findByIds(
        ids,
        this.lookupsByIdMax,
        (id) => target.findOne({ _id: id }),
        (all) => target.find({ _id: { $in: all } }).toArray(),
      );
      for (const document of stored) found.set(document._id, toDocument(document));
      return found;
    });
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
   * Each document is one update statement (the batch names each id once), sent in commands of UPDATES_PER_COMMAND.
   */
  async putMany(collection: string, writes: readonly DocumentWrite[]): Promise<PutResult> {
    assertWrites(writes);
    return this.writing(async (db, swallowed) => {
      const target = this.collection(db, collection);
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
        db,
        swallowed,
        collection,
        target,
        writes.flatMap((write) => {
          const from = write.expectedVersion;
          return from !== 'any' && from > 0 ? [{ write, from }] : [];
        }),
      );
      for (const id of conditionalConflicts) conflicts.add(id);
      return { conflicts: writes.filter((write) => conflicts.has(write.id)).map((write) => write.id) };
    });
  }

  async query(collection: string, query: Query): Promise<Page> {
    return this.reading(async (db) => {
      const target = this.collection(db, collection);
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
    });
  }

  async count(collection: string): Promise<number> {
    return this.reading((db) => this.collection(db, collection).countDocuments({}));
  }

  async ensureIndexes(collection: string, fields: readonly string[]): Promise<void> {
    for (const field of fields) assertFieldName(field);
    await this.writing(async (db) => {
      const target = this.collection(db, collection);
      if (fields.length === 0) {
        // Declaring no index still declares the collection, as on SQLite.
        await db.createCollection(collection).catch((error: unknown) => {
          if (!(error instanceof MongoServerError && error.code === NAMESPACE_EXISTS)) throw error;
        });
        return;
      }
      for (const field of new Set(fields)) {
        await target.createIndex({ [bodyPath(field)]: 1, _id: 1 }, { name: `${bodyPath(field)}_1__id_1` });
      }
    });
  }

  async listCollections(): Promise<readonly string[]> {
    return this.reading(async (db) => {
      const collections = await db.listCollections({}, { nameOnly: true }).toArray();
      // System collections (`system.*`) never match the name pattern.
      return collections
        .map((info) => info.name)
        .filter((name) => COLLECTION_NAME.test(name))
        .sort();
    });
  }

  async dropCollection(collection: string): Promise<void> {
    await this.writing(async (db) => {
      try {
        await this.collection(db, collection).drop();
      } catch (error) {
        if (!(error instanceof MongoServerError && error.code === NAMESPACE_NOT_FOUND)) throw error;
      }
      // An abandoned claim would otherwise be completed into the rebuilt collection once it reaches the same version.
      await db.collection<ClaimShape>(CLAIMS_COLLECTION).deleteMany({ collection });
    });
  }

  async close(): Promise<void> {
    await this.link.close();
  }

  private async reading<Result>(run: (db: Db) => Promise<Result>): Promise<Result> {
    const { db } = await this.link.connection().catch(rethrowUnavailable);
    return run(db).catch(rethrowUnavailable);
  }

  /** Runs writes; one that ends without an answer from the server makes the store wait and reconnect (see above). */
  private async writing<Result>(
    run: (db: Db, swallowed: (error: unknown) => void) => Promise<Result>,
  ): Promise<Result> {
    const connection = this.link.connection();
    // for the writes whose failure the store goes on without (releasing claims): their outcome counts too
    const suspect = (error: unknown): void => {
      if (outcomeUnknown(error)) this.link.failed(connection);
    };
    const { db } = await connection.catch(rethrowUnavailable);
    try {
      return await run(db, suspect);
    } catch (error) {
      suspect(error);
      throw unavailableOr(error);
    }
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
    db: Db,
    swallowed: (error: unknown) => void,
    collection: string,
    target: Collection<StoredShape>,
    writes: readonly { readonly write: DocumentWrite; readonly from: number }[],
  ): Promise<readonly string[]> {
    if (writes.length === 0) return [];
    const claims = db.collection<ClaimShape>(CLAIMS_COLLECTION);
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
          claims,
          target,
          claimed.filter((_claim, index) => contended.has(index)),
        )),
      );
      if (owned.length === 0) return conflicts;
      const current = await findByIds(
        owned.map((claim) => claim.id),
        this.lookupsByIdMax,
        (id) => target.findOne({ _id: id }, { projection: { version: 1 } }),
        (ids) => target.find({ _id: { $in: ids } }, { projection: { version: 1 } }).toArray(),
      );
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
      // A claim that fails to go is harmless (see putMany), and must not mask the error that is propagating. A release
      // that timed out may still run, though, and delete the claims of this batch's retry: the store waits it out.
      await releaseClaims(claims, [...owned.map((claim) => claim._id), ...completed], this.lookupsByIdMax).catch(
        swallowed,
      );
    }
  }

  /**
   * Completes the writes of claims older than the grace period, whose writers are taken for dead: each update is
   * conditional on the claimed version, so it does nothing if the write happened. Answers the claims completed.
   */
  private async completeAbandoned(
    claims: Collection<ClaimShape>,
    target: Collection<StoredShape>,
    contended: readonly ClaimShape[],
  ): Promise<readonly string[]> {
    if (contended.length === 0) return [];
    const found = await findByIds(
      contended.map((claim) => claim._id),
      this.lookupsByIdMax,
      (id) => claims.findOne({ _id: id }),
      (ids) => claims.find({ _id: { $in: ids } }).toArray(),
    );
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

  private collection(db: Db, collection: string): Collection<StoredShape> {
    assertCollectionName(collection);
    return db.collection<StoredShape>(collection);
  }
}

/**
 * Deletes claims in one `delete` command of one `{ _id }` statement each (FerretDB runs each as an SQL delete by id),
 * or, past `max`, one `$in` (see findByIds).
 */
const releaseClaims = async (claims: Collection<ClaimShape>, ids: readonly string[], max: number): Promise<void> => {
  if (ids.length === 0) return;
  if (ids.length > max) {
    await claims.deleteMany({ _id: { $in: [...ids] } });
    return;
  }
  await claims.bulkWrite(
    ids.map((id): AnyBulkWriteOperation<ClaimShape> => ({ deleteOne: { filter: { _id: id } } })),
    { ordered: false },
  );
};

/** Connects a client (bounded: 5 s server selection) and pings the database. */
const connect = async (options: MongoReadStoreOptions, clientOptions: MongoClientOptions): Promise<Connection> => {
  const client = new MongoClient(options.url, clientOptions);
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
    return { client, db };
  } catch (error) {
    await client.close().catch(() => undefined);
    throw error;
  }
};

/** Connects to MongoDB (bounded: 5 s server selection) and pings the database before handing out the store. */
export const openMongoReadStore = async (options: MongoReadStoreOptions): Promise<ReadStore> => {
  const clientOptions = readStoreClientOptions(options.clientOptions);
  const initial = await connect(options, clientOptions);
  const now = options.now ?? Date.now;
  const quietMs = options.quietAfterUnknownWriteMs ?? initial.client.options.socketTimeoutMS + QUIET_MARGIN_MS;
  const link = new QuietReconnect<Connection>(
    initial,
    () => connect(options, clientOptions),
    // force: the dropped connection's sockets may be waiting on a write the server has not answered
    (connection) => connection.client.close(true),
    quietMs,
    // the quiet period runs on the real clock: an injected `now` ages claims, which tests move in jumps
    Date.now,
  );
  return new MongoReadStore(
    link,
    options.claimGraceMs ?? DEFAULT_CLAIM_GRACE_MS,
    now,
    options.lookupsByIdMax ?? DEFAULT_LOOKUPS_BY_ID_MAX,
  );
};
