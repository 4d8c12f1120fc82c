import type { EventStore, RecordedEvent } from '../ports/event-store';
import { filteringLogReader, type LogReader, type LogWindow } from '../ports/log-reader';
import type { Delivery } from '../ports/message-bus';
import type { ReadStore, StoredDocument } from '../ports/read-store';
import { storedTypesOf } from './events';
import type { AnyProjection } from './input';
import { collectionName } from './projection';
import { readEntry, writeEntry, type RegistryEntry } from './registry';
import { PROGRESS_COLLECTION, ProjectionWorker } from './worker';
import { WriteBackStore } from './write-back';
import { readAhead } from './read-ahead';

/**
 * Blue/green rebuilds: replay the event store's global log into a new collection while the live one keeps serving,
 * optionally verify it against the live one, then flip reads with one registry write (projections/registry.ts).
 *
 * Handover, embedded mode: the rebuild and the live worker both deliver with source `$all` (sequence = position), so
 * per-document progress makes writing one collection from both safe — as long as neither writes an event while an
 * earlier one for the same document is still missing (progress is a high-water mark). The rebuild writes in log
 * order from its checkpoint; the live worker switches only once the checkpoint covers everything before its batch
 * (ProjectionRunner.follow). The rebuild tails after the switch until the live worker has taken over.
 *
 * Speed: the rebuild reads only the event types the projection uses (`LogReader`: SQLite skips the others before
 * parsing them), and until reads switch — while it is the only writer of its target — it holds the documents in memory
 * and writes each once (`WriteBackStore`): at a checkpoint, those that settled; the rest when reads switch.
 *
 * Distributed mode (Kafka): projectors deliver per partition, so the rebuild and a projector must never write the
 * same collection. Reads switch only when the operator confirms the projectors are stopped; the rebuild then tails to
 * the head and records `rebuiltThrough`, which restarted projectors skip.
 */

export type RebuildMode = 'embedded' | 'kafka';
export type RebuildPhase = 'building' | 'verifying' | 'tailing' | 'done';

export interface RebuildProgress {
  readonly name: string;
  readonly target: string;
  readonly phase: RebuildPhase;
  /** checkpoint: every event at or below it is in the target */
  readonly position: number;
  readonly head: number;
  /** events read by this run */
  readonly events: number;
  /** events this run has to read in all (head − where it started), as known now */
  readonly total: number;
  readonly eventsPerSecond: number;
  /** undefined until the rate is known */
  readonly etaSeconds: number | undefined;
}

export interface RebuildOptions {
  readonly eventStore: Pick<EventStore, 'readAll' | 'headPosition'>;
  /** reads the log by event type; default: `readAll` filtered in memory */
  readonly logReader?: LogReader;
  readonly readStore: ReadStore;
  /** any read model, over domain or saga events */
  readonly projection: AnyProjection;
  readonly mode?: RebuildMode;
  /** replay after this position instead of the checkpoint (or 0) */
  readonly from?: number;
  readonly verify?: boolean;
  /** switch even when verification found differences */
  readonly force?: boolean;
  /** switch once the target is fewer than this many events behind the head; default 100 */
  readonly threshold?: number;
  /** events examined per read; default 2,000 */
  readonly batchSize?: number;
  /** while building, write the documents and move the checkpoint every this many events; default 100,000 */
  readonly checkpointEvery?: number;
  /** distributed mode: the operator confirmed that no projector is running */
  readonly projectorsStopped?: boolean;
  readonly onProgress?: (progress: RebuildProgress) => void;
  /** runs after each batch is applied and checkpointed (tests stop a rebuild mid-way here) */
  readonly afterBatch?: (progress: RebuildProgress) => Promise<void> | void;
  readonly signal?: AbortSignal;
  /** after the switch, how long the rebuild waits at the head for the live worker to take over; default 10 s */
  readonly handoverTimeoutMs?: number;
  /** pause between reads at the head; default 50 ms */
  readonly pollMs?: number;
  /** sampling above this many documents; default 50,000 */
  readonly verifyAllUpTo?: number;
  readonly now?: () => number;
}

export type RebuildOutcome = 'switched' | 'verify-failed' | 'needs-projectors-stopped' | 'aborted';

export interface RebuildResult {
  readonly name: string;
  readonly target: string;
  readonly outcome: RebuildOutcome;
  /** the checkpoint this run started from (0 for a fresh rebuild) */
  readonly startedFrom: number;
  readonly resumed: boolean;
  readonly position: number;
  readonly events: number;
  readonly elapsedMs: number;
  readonly eventsPerSecond: number;
  readonly verification?: Verification;
  /** embedded: whether the live worker was seen writing the target before the rebuild exited */
  readonly handedOver?: boolean;
}

export interface Difference {
  readonly id: string;
  readonly kind: 'missing-in-new' | 'missing-in-old' | 'body';
  /** first differing field path, for `body` */
  readonly path?: string;
  readonly old?: unknown;
  readonly new?: unknown;
}

export interface Verification {
  readonly liveCollection: string;
  readonly liveCount: number;
  readonly targetCount: number;
  readonly compared: number;
  readonly sampled: boolean;
  readonly differenceCount: number;
  /** the first differences (at most 10) */
  readonly differences: readonly Difference[];
  /** documents still changing under live traffic after every recheck (not counted as differences) */
  readonly unsettled: number;
}

export class RebuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RebuildError';
  }
}

const ALL = '$all';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const deliveries = (events: readonly RecordedEvent[]): Delivery[] =>
  events.map((event) => ({ source: ALL, sequence: event.position, event }));

/** Reads the window after `after` and folds its wanted events (telling `held` where the batch starts). */
const applyWindow = async (
  reader: LogReader,
  read: { readonly after: number; readonly maxCount: number; readonly types: ReadonlySet<string> },
  worker: ProjectionWorker<unknown>,
  held: WriteBackStore | undefined,
): Promise<LogWindow> => {
  const window = await reader.readTypes(read);
  const first = window.events[0];
  if (first !== undefined) {
    held?.beginBatch(first.position);
    await worker.handle(deliveries(window.events));
  }
  return window;
};

/**
 * The rebuild's worker writes documents like any worker, but its per-source progress documents would be taken for
 * the live worker's (`<collection>@$all` tells the rebuild that the live worker has taken over); the registry holds
 * the rebuild's checkpoint instead.
 */
const withoutProgressDocuments = (store: ReadStore): ReadStore => ({
  get: (collection, id) =>
    collection === PROGRESS_COLLECTION ? Promise.resolve(undefined) : store.get(collection, id),
  getMany: (collection, ids) => store.getMany(collection, ids),
  putMany: (collection, writes) =>
    collection === PROGRESS_COLLECTION ? Promise.resolve({ conflicts: [] }) : store.putMany(collection, writes),
  query: (collection, query) => store.query(collection, query),
  count: (collection) => store.count(collection),
  ensureIndexes: (collection, fields) => store.ensureIndexes(collection, fields),
  listCollections: () => store.listCollections(),
  dropCollection: (collection) => store.dropCollection(collection),
  close: () => store.close(),
});

/** `<name>_v<version>`, or with the next free `_<n>` when that is live, kept as old, or left over. */
export const freeTarget = async (
  store: ReadStore,
  projection: AnyProjection,
  entry: RegistryEntry,
): Promise<string> => {
  const base = collectionName(projection);
  const taken = new Set([...(await store.listCollections()), entry.live.collection, ...entry.old]);
  if (!taken.has(base)) return base;
  for (let n = 1; ; n++) if (!taken.has(`${base}_${n}`)) return `${base}_${n}`;
};

/** The registry entry without its rebuild state (a JSON body cannot hold `undefined`). */
const withoutRebuild = (entry: RegistryEntry): RegistryEntry => ({
  name: entry.name,
  live: entry.live,
  old: entry.old,
});

/** Rebuilds one projection; see the module comment for the handover. Leaves no checkpoint write running behind. */
export const rebuildProjection = async (options: RebuildOptions): Promise<RebuildResult> => {
  const background = new Set<Promise<void>>();
  try {
    return await build(options, background);
  } finally {
    await Promise.allSettled(background);
  }
};

const build = async (options: RebuildOptions, background: Set<Promise<void>>): Promise<RebuildResult> => {
  const { projection, readStore, eventStore } = options;
  const mode = options.mode ?? 'embedded';
  const batchSize = options.batchSize ?? 2_000;
  const threshold = options.threshold ?? 100;
  const pollMs = options.pollMs ?? 50;
  const now = options.now ?? Date.now;
  const started = now();

  let { entry, version } = await readEntry(readStore, projection);
  const commit = async (change: (entry: RegistryEntry) => RegistryEntry): Promise<void> => {
    const next = change(entry);
    if (await writeEntry(readStore, next, version)) {
      entry = next;
      version += 1;
      return;
    }
    // another writer: only a first registration (a starting runner) is expected; anything else is a second rebuild
    const fresh = await readEntry(readStore, projection);
    if (fresh.entry.rebuild?.target !== entry.rebuild?.target) {
      throw new RebuildError(
        `${projection.name}: another process changed the rebuild state; is a second rebuild running?`,
      );
    }
    entry = fresh.entry;
    version = fresh.version;
    await commit(change);
  };

  let resumed = false;
  const pending = entry.rebuild;
  if (pending !== undefined && pending.version !== projection.version) {
    if (pending.state === 'switched') {
      throw new RebuildError(
        `${projection.name}: the handover to ${pending.target} (code version ${pending.version}) is not finished; ` +
          'run the rebuild with that code version first',
      );
    }
    // a rebuild for another code version is abandoned: its target can never be switched to
    await readStore.dropCollection(pending.target);
    await commit(withoutRebuild);
  }
  if (entry.rebuild === undefined) {
    const target = await freeTarget(readStore, projection, entry);
    const head = await eventStore.headPosition();
    await commit((e) => ({
      ...e,
      rebuild: {
        target,
        version: projection.version,
        position: options.from ?? 0,
        head,
        startedAt: new Date(now()).toISOString(),
        state: 'building',
        mode,
      },
    }));
  } else {
    resumed = true;
  }
  const rebuild = entry.rebuild;
  if (rebuild === undefined) throw new RebuildError(`${projection.name}: the rebuild state was lost`);
  const target = rebuild.target;
  let position = resumed && options.from !== undefined ? options.from : rebuild.position;
  const startedFrom = position;
  let head = await eventStore.headPosition();
  let events = 0;
  // the next window is read while this one folds
  const reader = readAhead(options.logReader ?? filteringLogReader(eventStore));
  const types = storedTypesOf(projection.eventTypes);
  const checkpointEvery = options.checkpointEvery ?? 100_000;
  const direct = withoutProgressDocuments(readStore);
  // while it builds, the rebuild is the target's only writer: documents wait in memory for the next checkpoint
  const held = new WriteBackStore(direct, { collection: target, startsEmpty: (await readStore.count(target)) === 0 });
  let worker = new ProjectionWorker(projection, held, target);
  await worker.init();
  let holding = true;
  let sinceCheckpoint = 0;

  const progress = (phase: RebuildPhase): RebuildProgress => {
    const seconds = (now() - started) / 1000;
    const eventsPerSecond = seconds > 0 ? events / seconds : 0;
    return {
      name: projection.name,
      target,
      phase,
      position,
      head,
      events,
      total: Math.max(events, head - startedFrom),
      eventsPerSecond,
      etaSeconds: eventsPerSecond > 0 ? Math.max(0, head - position) / eventsPerSecond : undefined,
    };
  };
  const result = (outcome: RebuildOutcome, extra: Partial<RebuildResult> = {}): RebuildResult => {
    const elapsedMs = now() - started;
    return {
      name: projection.name,
      target,
      outcome,
      startedFrom,
      resumed,
      position,
      events,
      elapsedMs,
      eventsPerSecond: elapsedMs > 0 ? (events * 1000) / elapsedMs : 0,
      ...extra,
    };
  };

  /**
   * The checkpoint moves only after the documents are written. While building, a checkpoint is written in the
   * background as folding goes on (documents ahead of the checkpoint are harmless: their progress skips what they
   * hold when a resumed rebuild applies those events again); one at a time, and its failure stops the rebuild.
   */
  let writing: Promise<void> | undefined;
  const checkpoint = async (wait: boolean, settledOnly = false): Promise<void> => {
    if (writing !== undefined) await writing;
    writing = undefined;
    sinceCheckpoint = 0;
    const read = position;
    const headNow = head;
    const write = (async () => {
      let at = read;
      if (holding) {
        // periodic checkpoints leave the documents changed lately held: most are about to change again
        await held.flush(settledOnly ? { changedBefore: read - Math.floor(checkpointEvery / 2) } : {});
        at = Math.min(read, (held.unwrittenSince ?? read + 1) - 1);
      }
      await commit((e) => ({
        ...e,
        ...(e.rebuild?.state === 'switched' ? { live: { ...e.live, builtThrough: at } } : {}),
        ...(e.rebuild ? { rebuild: { ...e.rebuild, position: at, head: headNow } } : {}),
      }));
    })();
    // awaited by the next checkpoint; until then its failure must not count as unhandled
    write.catch(() => undefined);
    background.add(write);
    void write.finally(() => background.delete(write)).catch(() => undefined);
    if (wait) await write;
    else writing = write;
  };
  /** Reads switch next: write what is held, and write through from now on (live writers join). */
  const stopHolding = async (): Promise<void> => {
    if (!holding) return;
    await checkpoint(true);
    await held.flush();
    holding = false;
    worker = new ProjectionWorker(projection, direct, target);
    await worker.init();
  };

  /** Applies the next window of the log; false at the head. */
  const step = async (phase: RebuildPhase): Promise<boolean> => {
    const window = await applyWindow(
      reader,
      { after: position, maxCount: batchSize, types },
      worker,
      holding ? held : undefined,
    );
    if (window.examined === 0) {
      head = Math.max(head, await eventStore.headPosition());
      return false;
    }
    position = window.through;
    events += window.examined;
    sinceCheckpoint += window.examined;
    if (window.examined < batchSize || position > head) head = Math.max(position, await eventStore.headPosition());
    if (!holding || sinceCheckpoint >= checkpointEvery) await checkpoint(!holding, holding);
    const current = progress(phase);
    options.onProgress?.(current);
    await options.afterBatch?.(current);
    return true;
  };
  const aborted = (): boolean => options.signal?.aborted === true;

  // build until the target is close enough to the head to switch without a visible jump
  if (entry.rebuild?.state === 'building') {
    for (;;) {
      if (aborted()) {
        await checkpoint(true);
        return result('aborted');
      }
      if (!(await step('building'))) break;
      // the head known at the start is reached: look again, and keep building while new events came meanwhile
      if (head - position < threshold) head = Math.max(head, await eventStore.headPosition());
      if (head - position < threshold) break;
    }
    let verification: Verification | undefined;
    if (options.verify === true) {
      options.onProgress?.(progress('verifying'));
      // verification reads the target from the store
      await checkpoint(true);
      verification = await verifyCollections({
        readStore,
        live: entry.live.collection,
        target,
        catchUp: async () => {
          while (await step('verifying'));
          await checkpoint(true);
        },
        ...(options.verifyAllUpTo === undefined ? {} : { allUpTo: options.verifyAllUpTo }),
      });
      if (verification.differenceCount > 0 && options.force !== true) return result('verify-failed', { verification });
    }
    if (mode === 'kafka') {
      if (options.projectorsStopped !== true) {
        await checkpoint(true);
        return result('needs-projectors-stopped', verification ? { verification } : {});
      }
      // nobody else writes the target: bring it to the head, then projectors take over above `rebuiltThrough`
      while (await step('tailing')) {
        if (aborted()) {
          await checkpoint(true);
          return result('aborted');
        }
      }
      await stopHolding();
      const through = position;
      await commit((e) => ({
        name: e.name,
        live: { collection: target, version: projection.version, rebuiltThrough: through },
        old: [...e.old.filter((c) => c !== target), e.live.collection],
      }));
      options.onProgress?.(progress('done'));
      return result('switched', verification ? { verification } : {});
    }
    // Reads must not go back in time at the switch: first reach what the live collection already shows. Writing
    // what is held takes a while, and the live worker goes on meanwhile: catch up again, still holding, until a
    // flush is small; then the last catch-up writes through (bounded: on a slow store under heavy load the live
    // worker may stay a few events ahead, and reads then step back by those for a moment).
    const reachLive = async (maxSteps = Number.POSITIVE_INFINITY): Promise<void> => {
      for (let steps = 0; steps < maxSteps; steps++) {
        const shown = await readStore.get(PROGRESS_COLLECTION, `${entry.live.collection}@${ALL}`);
        const livePosition = typeof shown?.body.position === 'number' ? shown.body.position : 0;
        if (position >= livePosition || aborted() || !(await step('tailing'))) break;
      }
    };
    await reachLive();
    for (let round = 0, flushed = Number.POSITIVE_INFINITY; round < 5 && flushed > 100; round++) {
      flushed = await held.flush();
      await reachLive();
    }
    await stopHolding();
    await reachLive(3);
    const through = position;
    await commit((e) => ({
      ...e,
      live: { collection: target, version: projection.version, builtThrough: through },
      old: [...e.old.filter((c) => c !== target), e.live.collection],
      ...(e.rebuild ? { rebuild: { ...e.rebuild, position: through, state: 'switched' as const } } : {}),
    }));
    return finishHandover(verification);
  }
  return finishHandover(undefined);

  /** Embedded: tail the log into the target until the live worker writes it too (or nobody did for a while). */
  async function finishHandover(verification: Verification | undefined): Promise<RebuildResult> {
    await stopHolding();
    const handoverTimeoutMs = options.handoverTimeoutMs ?? 10_000;
    let idleSince = now();
    let handedOver = false;
    for (;;) {
      if (aborted()) return result('aborted', verification ? { verification } : {});
      if ((await readStore.get(PROGRESS_COLLECTION, `${target}@${ALL}`)) !== undefined) {
        handedOver = true;
        break;
      }
      if (await step('tailing')) {
        idleSince = now();
        continue;
      }
      // no live worker batch and nothing new to apply: a worker that starts later switches on its own
      if (now() - idleSince >= handoverTimeoutMs) break;
      await sleep(pollMs);
    }
    const through = position;
    await commit((e) => ({ ...withoutRebuild(e), live: { ...e.live, builtThrough: through } }));
    options.onProgress?.(progress('done'));
    return result('switched', { handedOver, ...(verification ? { verification } : {}) });
  }
};

// ---- verification ----

/** Stable JSON: object keys sorted, so two bodies built in a different field order compare equal. */
const canonical = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(record[k])}`)
      .join(',')}}`;
  }
  // JSON.stringify(undefined) is undefined, not text
  return value === undefined ? 'null' : JSON.stringify(value);
};

/** First path where two JSON values differ. */
const firstDifference = (
  a: unknown,
  b: unknown,
  path = '',
): { path: string; old: unknown; new: unknown } | undefined => {
  if (canonical(a) === canonical(b)) return undefined;
  if (
    a !== null &&
    b !== null &&
    typeof a === 'object' &&
    typeof b === 'object' &&
    !Array.isArray(a) === !Array.isArray(b)
  ) {
    const left = a as Record<string, unknown>;
    const right = b as Record<string, unknown>;
    for (const key of [...new Set([...Object.keys(left), ...Object.keys(right)])].sort()) {
      const found = firstDifference(left[key], right[key], path === '' ? key : `${path}.${key}`);
      if (found) return found;
    }
  }
  return { path: path === '' ? '(body)' : path, old: a, new: b };
};

type Comparison = 'equal' | 'different' | 'unsettled';

/**
 * Equal bodies are equal. Different bodies are a definite difference when both documents applied exactly the same
 * events (same `$all` progress); otherwise live traffic may be the cause, and they are checked again later.
 */
const compare = (old: StoredDocument | undefined, next: StoredDocument | undefined): Comparison => {
  if (old !== undefined && next !== undefined && canonical(old.body) === canonical(next.body)) return 'equal';
  const a = old?.progress[ALL];
  const b = next?.progress[ALL];
  if (old !== undefined && next !== undefined && a !== undefined && a === b) return 'different';
  return 'unsettled';
};

const describe = (id: string, old: StoredDocument | undefined, next: StoredDocument | undefined): Difference => {
  if (next === undefined) return { id, kind: 'missing-in-new' };
  if (old === undefined) return { id, kind: 'missing-in-old' };
  const found = firstDifference(old.body, next.body);
  return { id, kind: 'body', ...(found ? { path: found.path, old: found.old, new: found.new } : {}) };
};

export interface VerifyOptions {
  readonly readStore: ReadStore;
  readonly live: string;
  readonly target: string;
  /** brings the target to the head before documents that differed are checked again */
  readonly catchUp: () => Promise<void>;
  /** compare every document up to this many, else a sample; default 50,000 */
  readonly allUpTo?: number;
  readonly sampleSize?: number;
  readonly rechecks?: number;
  /** pause before the first recheck, doubling per round, so live workers catch up too; default 100 ms */
  readonly recheckDelayMs?: number;
  readonly random?: () => number;
}

/**
 * Compares the new collection with the live one: counts, and every document (or a sample of about `sampleSize` by
 * id on big collections). Documents that differ while live traffic may still be changing them are checked again
 * after the target caught up; those that never settle on the same events are reported as unsettled.
 */
export const verifyCollections = async (options: VerifyOptions): Promise<Verification> => {
  const { readStore, live, target } = options;
  const allUpTo = options.allUpTo ?? 50_000;
  const sampleSize = options.sampleSize ?? 1_000;
  const random = options.random ?? Math.random;
  const [liveCount, targetCount] = await Promise.all([readStore.count(live), readStore.count(target)]);
  const sampled = Math.max(liveCount, targetCount) > allUpTo;
  const keep = sampled ? Math.min(1, sampleSize / Math.max(1, liveCount)) : 1;
  const differences: Difference[] = [];
  let differenceCount = 0;
  let compared = 0;
  const recheck = new Set<string>();
  const record = (id: string, old: StoredDocument | undefined, next: StoredDocument | undefined): void => {
    compared += 1;
    const outcome = compare(old, next);
    if (outcome === 'equal') return;
    if (outcome === 'unsettled') {
      recheck.add(id);
      return;
    }
    differenceCount += 1;
    if (differences.length < 10) differences.push(describe(id, old, next));
  };
  // the live collection drives; then the target's ids the live one lacks
  const sides: readonly [string, string, boolean][] = sampled
    ? [[live, target, true]]
    : [
        [live, target, true],
        [target, live, false],
      ];
  for (const [from, other, fromIsLive] of sides) {
    let after: string | undefined;
    do {
      const page = await readStore.query(from, { limit: 1_000, ...(after === undefined ? {} : { after }) });
      after = page.next;
      const items = keep < 1 ? page.items.filter(() => random() < keep) : page.items;
      const ids = items.map((d) => d.id);
      const others = await readStore.getMany(other, ids);
      for (const doc of items) {
        const counterpart = others.get(doc.id);
        if (!fromIsLive && counterpart !== undefined) continue; // compared in the first pass
        if (fromIsLive) record(doc.id, doc, counterpart);
        else record(doc.id, counterpart, doc);
      }
    } while (after !== undefined);
  }
  let unsettled = 0;
  for (let round = 0; round < (options.rechecks ?? 3) && recheck.size > 0; round++) {
    await sleep((options.recheckDelayMs ?? 100) * 2 ** round);
    await options.catchUp();
    const ids = [...recheck];
    recheck.clear();
    const [olds, news] = await Promise.all([readStore.getMany(live, ids), readStore.getMany(target, ids)]);
    compared -= ids.length;
    for (const id of ids) record(id, olds.get(id), news.get(id));
  }
  if (recheck.size > 0) {
    const ids = [...recheck];
    const [olds, news] = await Promise.all([readStore.getMany(live, ids), readStore.getMany(target, ids)]);
    for (const id of ids) {
      const old = olds.get(id);
      const next = news.get(id);
      // no shared `$all` progress (the live one was built from Kafka partitions): a lasting difference is a difference
      if (old === undefined || next === undefined || old.progress[ALL] === undefined) {
        differenceCount += 1;
        if (differences.length < 10) differences.push(describe(id, old, next));
      } else {
        unsettled += 1;
      }
    }
  }
  return {
    liveCollection: live,
    liveCount,
    targetCount,
    compared,
    sampled,
    differenceCount,
    differences,
    unsettled,
  };
};

// ---- in-place reset ----

export type ResetOptions = Pick<
  RebuildOptions,
  | 'eventStore'
  | 'logReader'
  | 'readStore'
  | 'projection'
  | 'mode'
  | 'batchSize'
  | 'checkpointEvery'
  | 'onProgress'
  | 'now'
>;

/**
 * Drops the live collection and folds the whole log into it again (downtime: workers must be stopped). Records the
 * code version as live, and in distributed mode `rebuiltThrough`, which restarted projectors skip.
 */
export const resetProjection = async (options: ResetOptions): Promise<RebuildResult> => {
  const { projection, readStore, eventStore } = options;
  const now = options.now ?? Date.now;
  const started = now();
  const batchSize = options.batchSize ?? 2_000;
  const { entry, version } = await readEntry(readStore, projection);
  if (entry.rebuild !== undefined) {
    throw new RebuildError(
      `${projection.name}: a rebuild into ${entry.rebuild.target} is in progress; finish it first`,
    );
  }
  const collection = entry.live.collection;
  await readStore.dropCollection(collection);
  // workers are stopped: the reset is the only writer, and its progress records wait for the documents
  const held = new WriteBackStore(readStore, { collection, startsEmpty: true });
  const worker = new ProjectionWorker(projection, held, collection);
  await worker.init();
  // the next window is read while this one folds
  const reader = readAhead(options.logReader ?? filteringLogReader(eventStore));
  const types = storedTypesOf(projection.eventTypes);
  const checkpointEvery = options.checkpointEvery ?? 100_000;
  let sinceFlush = 0;
  let position = 0;
  let events = 0;
  const head = await eventStore.headPosition();
  for (;;) {
    const window = await applyWindow(reader, { after: position, maxCount: batchSize, types }, worker, held);
    if (window.examined === 0) break;
    position = window.through;
    events += window.examined;
    sinceFlush += window.examined;
    if (sinceFlush >= checkpointEvery) {
      // what changed lately stays held: it is about to change again (see `rebuildProjection`)
      await held.flush({ changedBefore: position - Math.floor(checkpointEvery / 2) });
      sinceFlush = 0;
    }
    const seconds = (now() - started) / 1000;
    const eventsPerSecond = seconds > 0 ? events / seconds : 0;
    options.onProgress?.({
      name: projection.name,
      target: collection,
      phase: 'building',
      position,
      head: Math.max(head, position),
      events,
      total: Math.max(head, position),
      eventsPerSecond,
      etaSeconds: eventsPerSecond > 0 ? Math.max(0, head - position) / eventsPerSecond : undefined,
    });
  }
  await held.flush();
  const live: RegistryEntry['live'] =
    options.mode === 'kafka'
      ? { collection, version: projection.version, rebuiltThrough: position }
      : { collection, version: projection.version };
  if (!(await writeEntry(readStore, { ...entry, live }, version))) {
    throw new RebuildError(`${projection.name}: the registry changed during the reset; run it again`);
  }
  const elapsedMs = now() - started;
  return {
    name: projection.name,
    target: collection,
    outcome: 'switched',
    startedFrom: 0,
    resumed: false,
    position,
    events,
    elapsedMs,
    eventsPerSecond: elapsedMs > 0 ? (events * 1000) / elapsedMs : 0,
  };
};

/** Drops the collections a switch left behind; refuses while a handover still writes to the previous one. */
export const dropOld = async (readStore: ReadStore, projection: AnyProjection): Promise<readonly string[]> => {
  const { entry, version } = await readEntry(readStore, projection);
  if (entry.rebuild?.state === 'switched') {
    throw new RebuildError(`${projection.name}: the handover to ${entry.rebuild.target} is not finished yet`);
  }
  if (entry.old.length === 0) return [];
  if (!(await writeEntry(readStore, { ...entry, old: [] }, version))) {
    throw new RebuildError(`${projection.name}: the registry changed meanwhile; run it again`);
  }
  for (const collection of entry.old) await readStore.dropCollection(collection);
  return entry.old;
};
