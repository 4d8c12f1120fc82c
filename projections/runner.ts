import { EventEmitter } from 'node:events';
import type { Logger } from '../ports/logger';
import type { EventStore } from '../ports/event-store';
import type { Consumer, Delivery, MessageBus } from '../ports/message-bus';
import type { DocumentWrite, ReadStore } from '../ports/read-store';
import { handleWithDeadLetters, type DeadLetterPolicy, type DeadLetterStore } from '../ports/dead-letters';
import type { AnyProjection } from './input';
import { collectionName, projectionConsumer } from './projection';
import { ensureRegistered, readEntry, rebuildDue, type RegistryEntry } from './registry';
import { PROGRESS_COLLECTION, ProjectionWorker, type WorkerStatus } from './worker';

export interface ProjectionRunnerOptions {
  readonly bus: MessageBus;
  readonly readStore: ReadStore;
  readonly logger: Logger;
  readonly projections: readonly AnyProjection[];
  readonly maxBatch?: number;
  /** consumer group prefix; projector instances sharing it share the work (Kafka) */
  readonly groupPrefix?: string;
  /**
   * One consumer group for every projection (`<groupPrefix>:all`) instead of one each: each event is fetched and
   * decoded once and handed to every projection, and a batch is done once every projection applied it. Each
   * projection still keeps its own per-source progress, so a batch delivered again changes nothing.
   */
  readonly sharedGroup?: boolean;
  /**
   * Embedded mode: lets a worker switching to a rebuilt collection apply the events between the rebuild's checkpoint
   * and its own position itself, instead of waiting for the rebuild process to tail them.
   */
  readonly eventStore?: Pick<EventStore, 'readAll'>;
  /** how long a batch waits for a rebuild to cover it before it goes to the previous collection; default 5 s */
  readonly switchWaitMs?: number;
  /**
   * how often a projection reads the registry to see whether reads switched to a rebuilt collection; default 250 ms.
   * Until it does, its worker writes the previous collection, which the rebuild tails into the new one meanwhile
   */
  readonly registryRefreshMs?: number;
  /** poison events of the projections named here go to dead letters instead of stopping them */
  readonly deadLetters?: ProjectionDeadLetters;
}

export interface ProjectionDeadLetters {
  readonly store: DeadLetterStore;
  /**
   * Retrying a letter later applies it after events that came since, so only read models whose documents are each
   * fed by one stream belong here (a document's later events are parked behind its letter, keyed by stream).
   */
  readonly projections: readonly string[];
  /** attempts per batch, then per event; default 3 */
  readonly attempts?: number;
}

/**
 * Resolves true once `reached()` holds after a position change of projection `name` (or at once), false when
 * `timeoutMs` passed first. `subscribe` registers a listener of position changes and answers how to remove it.
 */
export const untilPosition = (
  subscribe: (listener: (projection: string, position: number) => void) => () => void,
  reached: () => boolean,
  name: string,
  timeoutMs: number,
): Promise<boolean> => {
  if (reached()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const finish = (result: boolean): void => {
      clearTimeout(timer);
      unsubscribe();
      resolve(result);
    };
    const unsubscribe = subscribe((projection) => {
      if (projection === name && reached()) finish(true);
    });
    const timer = setTimeout(() => {
      finish(reached());
    }, timeoutMs);
  });
};

/** What one read model did with a batch: the progress writes that record it, and how to tell waiters once written. */
interface Applied {
  readonly progress: readonly DocumentWrite[];
  readonly announce: () => void;
}

type BatchStep = (batch: readonly Delivery[]) => Promise<Applied>;

/** The consumer group every projection shares (`sharedGroup`). */
export const sharedProjectionGroup = (prefix: string): string => `${prefix}:all`;

/**
 * Runs every projection as its own consumer group on the bus, so one slow read model never holds back another (or,
 * `sharedGroup`, all through one group, so each event is fetched once), and tells waiters (read-your-writes) when a
 * projection passes a global position.
 */
export class ProjectionRunner {
  private readonly workers = new Map<string, ProjectionWorker<unknown>>();
  /** per projection: events at or below it are already in its collection (distributed rebuild handover) */
  private readonly skipThrough = new Map<string, number>();
  private readonly consumers: Consumer[] = [];
  private readonly progress = new EventEmitter();
  /** per projection: when `follow` last read the registry */
  private readonly registryReadAt = new Map<string, number>();

  constructor(private readonly options: ProjectionRunnerOptions) {
    this.progress.setMaxListeners(0);
    // replaced in start() by the worker for the registry's live collection
    for (const projection of options.projections) {
      this.workers.set(
        projection.name,
        new ProjectionWorker(projection, options.readStore, collectionName(projection)),
      );
    }
  }

  async start(): Promise<void> {
    const prefix = this.options.groupPrefix ?? 'projection';
    const maxBatch = this.options.maxBatch ? { maxBatch: this.options.maxBatch } : {};
    const steps: BatchStep[] = [];
    for (const projection of this.options.projections) steps.push(await this.stepFor(projection));
    if (this.options.sharedGroup === true) {
      // every read model's progress in one write: on a networked store it was most of the projector's queries
      const consumer = await this.options.bus.consume(
        { group: sharedProjectionGroup(prefix), ...maxBatch },
        async (batch) => this.recorded(await Promise.all(steps.map((step) => step(batch)))),
      );
      this.watch(consumer, 'all');
      return;
    }
    for (const [i, projection] of this.options.projections.entries()) {
      const step = steps[i];
      if (step === undefined) continue;
      const consumer = await this.options.bus.consume(
        { group: `${prefix}:${projection.name}`, ...maxBatch },
        async (batch) => this.recorded([await step(batch)]),
      );
      this.watch(consumer, projection.name);
    }
  }

  /** The worker of a projection, and what it does with each batch. */
  private async stepFor(projection: AnyProjection): Promise<BatchStep> {
    const name = projection.name;
    this.workers.set(name, await this.startingWorker(projection));
    return async (batch) => {
      const live = await this.follow(projection, batch);
      const skip = this.skipThrough.get(name) ?? 0;
      const input = skip > 0 ? batch.filter((d) => d.event.position > skip) : batch;
      const progress = input.length > 0 ? await this.apply(name, live, input) : [];
      return {
        progress,
        announce: () => {
          this.progress.emit('position', name, live.current.position);
        },
      };
    };
  }

  /** Writes the progress of a batch's read models after their documents, then tells waiters their new positions. */
  private async recorded(applied: readonly Applied[]): Promise<void> {
    const progress = applied.flatMap((each) => each.progress);
    if (progress.length > 0) await this.options.readStore.putMany(PROGRESS_COLLECTION, progress);
    for (const each of applied) each.announce();
  }

  private watch(consumer: Consumer, projection: string): void {
    consumer.done.catch((error: unknown) => {
      this.options.logger.error({ err: error, projection }, 'projection stopped on an error');
    });
    this.consumers.push(consumer);
  }

  /**
   * Hands the batch to the worker, through the dead letters when the projection has them; answers the progress
   * writes still to be made (the dead-letter path writes its own, part by part).
   */
  private async apply(
    name: string,
    worker: ProjectionWorker<unknown>,
    batch: readonly Delivery[],
  ): Promise<readonly DocumentWrite[]> {
    const deadLetters = this.options.deadLetters;
    // a batch without an event the projection reads cannot fail on a document: no dead-letter lookup for it
    if (
      deadLetters === undefined ||
      !deadLetters.projections.includes(name) ||
      !batch.some((d) => worker.reads(d.event))
    ) {
      return worker.apply(batch);
    }
    const policy: DeadLetterPolicy = {
      consumer: projectionConsumer(name),
      store: deadLetters.store,
      attempts: deadLetters.attempts ?? 3,
      keyOf: (d) => d.event.streamId,
    };
    await handleWithDeadLetters(batch, (part) => worker.handle(part), policy);
    // the batch is dealt with even when its last events became letters: waiters for its position may go on
    const last = batch.at(-1);
    if (last !== undefined) worker.restorePosition(last.event.position);
    return [];
  }

  /** resolves once every projection delivered the history that existed at start */
  async caughtUp(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.caughtUp));
  }

  statuses(): readonly WorkerStatus[] {
    return [...this.workers.values()].map((w) => w.current);
  }

  status(name: string): WorkerStatus | undefined {
    return this.workers.get(name)?.current;
  }

  /**
   * Calls `listener` after each batch a projection applied, with its new position (live pushes to dashboards).
   * Returns the unsubscribe function.
   */
  onPosition(listener: (projection: string, position: number) => void): () => void {
    // the emit runs inside the projection's batch handler: a failing listener must not stop the projection
    const guarded = (projection: string, position: number): void => {
      try {
        listener(projection, position);
      } catch (error) {
        this.options.logger.warn({ err: error, projection }, 'position listener failed');
      }
    };
    this.progress.on('position', guarded);
    return () => {
      this.progress.off('position', guarded);
    };
  }

  /** true once projection `name` applied every event up to `position` (false on timeout) */
  waitFor(name: string, position: number, timeoutMs: number): Promise<boolean> {
    return untilPosition(
      (listener) => {
        this.progress.on('position', listener);
        return () => this.progress.off('position', listener);
      },
      () => (this.workers.get(name)?.current.position ?? 0) >= position,
      name,
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
    this.consumers.length = 0;
  }

  // ---- following the projection registry (blue/green rebuilds, projections/rebuild.ts) ----

  /**
   * The worker a projection starts with: the registry's live collection, except while an embedded handover is
   * pending (the worker has not written the rebuilt collection yet): then the previous one, and `follow` switches
   * once the target covers the worker's position.
   */
  private async startingWorker(projection: AnyProjection): Promise<ProjectionWorker<unknown>> {
    const { entry } = await ensureRegistered(this.options.readStore, projection);
    if (rebuildDue(projection, entry)) {
      this.options.logger.warn(
        { projection: projection.name, code: projection.version, live: entry.live.version },
        'projection rebuild due: the code version differs from the live collection (commerce projections rebuild)',
      );
    }
    const previous = entry.old.at(-1);
    const pending =
      previous !== undefined &&
      this.covered(entry) !== undefined &&
      (await this.options.readStore.get(PROGRESS_COLLECTION, `${entry.live.collection}@$all`)) === undefined;
    const worker = new ProjectionWorker(projection, this.options.readStore, pending ? previous : entry.live.collection);
    await worker.init();
    if (!pending) this.skipThrough.set(projection.name, entry.live.rebuiltThrough ?? 0);
    return worker;
  }

  /** What the rebuilt live collection is known to hold (every event at or below), if it came from a rebuild. */
  private covered(entry: RegistryEntry): number | undefined {
    if (entry.live.rebuiltThrough !== undefined) return undefined;
    if (entry.rebuild?.target === entry.live.collection) return entry.rebuild.position;
    return entry.live.builtThrough;
  }

  /**
   * Before each batch: the worker for the registry's live collection (one small read per `registryRefreshMs`). A
   * rebuilt collection is written only once it holds every event before the batch — per-document progress is a
   * high-water mark, so writing a later event first would make the rebuild's earlier one look applied. The gap is
   * applied here when an event store is at hand, else awaited (bounded) from the rebuild's tailing.
   */
  private async follow(projection: AnyProjection, batch: readonly Delivery[]): Promise<ProjectionWorker<unknown>> {
    const current = this.workers.get(projection.name);
    if (current === undefined) throw new Error(`no worker for ${projection.name}`);
    // one read per projection and refresh period, not per batch: on a networked store it was most of the queries
    const now = Date.now();
    const readAt = this.registryReadAt.get(projection.name);
    if (readAt !== undefined && now - readAt < (this.options.registryRefreshMs ?? 250)) return current;
    this.registryReadAt.set(projection.name, now);
    let { entry } = await readEntry(this.options.readStore, projection);
    if (entry.live.collection === current.current.collection || batch.length === 0) return current;
    const next = new ProjectionWorker(projection, this.options.readStore, entry.live.collection);
    await next.init();
    const before = Math.min(...batch.map((d) => d.event.position)) - 1;
    let covered = this.covered(entry);
    if (covered !== undefined && covered < before && this.options.eventStore !== undefined) {
      for (let after = covered; after < before;) {
        const page = await this.options.eventStore.readAll({ after, maxCount: 2_000 });
        const inGap = page.filter((e) => e.position <= before);
        const last = inGap.at(-1);
        if (last === undefined) break;
        await next.handle(inGap.map((event) => ({ source: '$all', sequence: event.position, event })));
        after = last.position;
      }
      covered = before;
    }
    const deadline = Date.now() + (this.options.switchWaitMs ?? 5_000);
    while (covered !== undefined && covered < before) {
      if (Date.now() >= deadline) {
        this.options.logger.warn(
          { projection: projection.name, target: entry.live.collection, covered, before },
          'the rebuilt collection does not cover this batch yet: the batch goes to the previous collection',
        );
        return current;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      ({ entry } = await readEntry(this.options.readStore, projection));
      covered = this.covered(entry);
    }
    next.restorePosition(current.current.position);
    this.workers.set(projection.name, next);
    this.skipThrough.set(projection.name, entry.live.rebuiltThrough ?? 0);
    this.options.logger.info(
      { projection: projection.name, from: current.current.collection, to: entry.live.collection },
      'projection worker switched to the live collection',
    );
    return next;
  }
}
