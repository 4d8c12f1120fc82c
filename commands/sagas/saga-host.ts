import { stepSaga, type Deadline } from '../../domain/sagas';
import {
  WrongExpectedRevisionError,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
} from '../../ports/event-store';
import type { Clock } from '../../ports/clock';
import { deterministicId } from '../../ports/ids';
import { decodeSagaEvent, type SagaKind } from './definitions';
import type { CrashContext, CrashPoint } from './hooks';
import type { SagaStateStore } from '../../ports/saga-state';

export interface LoadedSaga<S> {
  readonly state: S;
  /** -1: the stream does not exist yet */
  readonly revision: number;
}

const sameDeadlines = (a: readonly Deadline[], b: readonly Deadline[]): boolean =>
  a.length === b.length &&
  a.every((d, i) => d.deadlineId === b[i]?.deadlineId && d.dueAt === b[i].dueAt && d.kind === b[i].kind);

/** A saga event as appended (or found in the stream by recovery), with what the outbox needs to name it. */
export interface AppendedSagaEvent<Ev> {
  readonly event: Ev;
  readonly revision: number;
  readonly eventId: string;
  readonly position: number | null;
  readonly type: string;
  readonly data: unknown;
}

export interface StepResult<S, Ev> {
  readonly state: S;
  readonly appended: readonly AppendedSagaEvent<Ev>[];
  /** the dispatch log's row for `appended`, to finish once their commands were sent */
  readonly dispatchId?: string;
}

/** One input for a saga, with the key its event ids are derived from. */
export interface SagaInput<I> {
  readonly input: I;
  /** unique per input of the saga: `event:<event id>`, `deadline:<deadline id>`, `rejected:<command id>` */
  readonly key: string;
  /** the message that caused it, recorded as the saga events' causation id */
  readonly causationId: string;
}

export interface SagaHostOptions {
  readonly store: EventStore;
  readonly state: SagaStateStore;
  readonly clock: Clock;
  /** throws once the runner is stopped or crashed */
  readonly guard: () => void;
  readonly crashPoint: (point: CrashPoint, context: CrashContext) => void;
  readonly cacheSize?: number;
  /** reload-and-react attempts when another writer appended to the saga stream first */
  readonly conflictRetries?: number;
  /**
   * The dispatch-log rows this runner is working on: a step's row is in it from its announcement until its append
   * failed or the caller finished (or gave up on) its dispatch. The runner keeps them alive, so no sweep takes them.
   */
  readonly liveSteps?: Set<string>;
  /** an append refused because the saga stream moved on: the step is decided again */
  readonly onConflict?: (saga: string) => void;
}

/**
 * Hosts the instances of one saga kind: load (event-sourced, cached; a step trusts the cache and the expected
 * revision of its append catches a stale one, which is then caught up from the stream), react, append
 * with the expected revision, keep the timer table equal to the saga's pending deadlines. The caller serialises
 * the inputs of one saga instance; the expected revision catches any other writer.
 */
export class SagaHost<I, S, Ev extends { readonly type: string }> {
  private readonly cache = new Map<string, LoadedSaga<S>>();
  private readonly cacheSize: number;
  private readonly conflictRetries: number;

  constructor(
    readonly kind: SagaKind<I, S, Ev>,
    private readonly options: SagaHostOptions,
  ) {
    this.cacheSize = options.cacheSize ?? 5_000;
    this.conflictRetries = options.conflictRetries ?? 10;
  }

  async load(sagaId: string): Promise<LoadedSaga<S>> {
    const cached = this.cache.get(sagaId);
    const from = cached ? cached.revision + 1 : 0;
    const recorded = await this.options.store.readStream(sagaId, { fromRevision: from });
    let loaded: LoadedSaga<S> = cached ?? { state: this.kind.decider.initialState, revision: -1 };
    const last = recorded[recorded.length - 1];
    if (last !== undefined) {
      const events = recorded.map((r) => this.decode(r));
      loaded = { state: events.reduce(this.kind.decider.evolve, loaded.state), revision: last.revision };
    }
    this.remember(sagaId, loaded);
    return loaded;
  }

  decode(recorded: RecordedEvent): Ev {
    return decodeSagaEvent(this.kind.events, recorded);
  }

  /** The recorded events after `revision`, as the outbox needs them (recovery). */
  async eventsAfter(sagaId: string, revision: number): Promise<readonly AppendedSagaEvent<Ev>[]> {
    const recorded = await this.options.store.readStream(sagaId, { fromRevision: revision + 1 });
    return recorded.map((r) => ({
      event: this.decode(r),
      revision: r.revision,
      eventId: r.eventId,
      position: r.position,
      type: r.type,
      data: r.data,
    }));
  }

  forget(sagaId: string): void {
    this.cache.delete(sagaId);
  }

  /** Re-arms the saga's timers from its folded state. */
  async syncTimers(sagaId: string): Promise<LoadedSaga<S>> {
    const loaded = await this.load(sagaId);
    this.options.guard();
    await this.options.state.replaceTimers(
      this.kind.name,
      sagaId,
      loaded.revision,
      this.kind.decider.deadlines(loaded.state),
    );
    return loaded;
  }

  async step(sagaId: string, item: SagaInput<I>): Promise<StepResult<S, Ev>> {
    const { state, guard } = this.options;
    // The cached state is trusted without reading the stream: the append names the revision it was decided on, so
    // a stale cache is refused by the store and read again. Only a step that appends nothing is checked first.
    let unverified = this.cache.get(sagaId);
    for (let attempt = 0; attempt <= this.conflictRetries; attempt++) {
      let loaded = unverified ?? (await this.load(sagaId));
      let step = stepSaga(this.kind.decider, loaded.state, item.input);
      if (unverified !== undefined && step.events.length === 0) {
        loaded = await this.load(sagaId);
        step = stepSaga(this.kind.decider, loaded.state, item.input);
      }
      unverified = undefined;
      if (step.events.length === 0) return { state: loaded.state, appended: [] };
      const upTo = loaded.revision + step.events.length;
      guard();
      // announced (durably) before the append: a crash after it leaves a row that a sweep finds and re-dispatches
      const dispatchId = await state.announceStep(this.kind.name, sagaId, loaded.revision + 1, upTo);
      this.options.liveSteps?.add(dispatchId);
      try {
        const outcome = await this.appendStep(sagaId, item, loaded, step, dispatchId);
        if (outcome !== 'conflict') return outcome;
      } catch (error) {
        // whatever was written of the step (the events, not its timers or commands) is the sweep's now: a row kept
        // alive as in flight would never go stale, and the saga would wait for commands nobody sends
        this.options.liveSteps?.delete(dispatchId);
        throw error;
      }
    }
    throw new Error(`saga stream ${sagaId} kept changing; gave up after ${this.conflictRetries + 1} attempts`);
  }

  /**
   * Appends an announced step and sets its timers; 'conflict' when another writer was first (nothing written, the
   * row finished). Answers the step once appended; the row stays live for the caller's dispatch.
   */
  private async appendStep(
    sagaId: string,
    item: SagaInput<I>,
    loaded: LoadedSaga<S>,
    step: { readonly state: S; readonly events: readonly Ev[] },
    dispatchId: string,
  ): Promise<StepResult<S, Ev> | 'conflict'> {
    const { store, state, guard } = this.options;
    const upTo = loaded.revision + step.events.length;
    guard();
    this.options.crashPoint('before-append', { sagaId });
    const timestamp = this.options.clock.now().toISOString();
    const toAppend: NewEvent[] = step.events.map((event, i) => {
      const stored = this.kind.events.encode(event);
      return {
        // derived from the input: the same input appended again after a crash is deduplicated by the store
        eventId: deterministicId(`${sagaId}/${item.key}/${i}`),
        type: stored.type,
        data: stored.data,
        metadata: {
          commandId: `${sagaId}/${item.key}`,
          causationId: item.causationId,
          correlationId: sagaId,
          timestamp,
          schemaVersion: Number(/\.v(\d+)$/.exec(stored.type)?.[1] ?? 1),
        },
      };
    });
    guard();
    let result: { readonly revision: number; readonly position: number };
    try {
      result = await store.append(sagaId, toAppend, loaded.revision < 0 ? 'no_stream' : loaded.revision);
    } catch (error) {
      // whether it was written is not known: the row goes stale and a sweep sends whatever exists of it
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      // another writer was first: nothing of this step was written
      this.options.liveSteps?.delete(dispatchId);
      this.options.onConflict?.(this.kind.name);
      await state.finishStep(dispatchId);
      this.cache.delete(sagaId);
      return 'conflict';
    }
    if (result.revision !== upTo) {
      // the store answered an earlier identical append, whose own row (if it was not dispatched) is still in the
      // log; what we folded is not the stream, read it again
      this.options.liveSteps?.delete(dispatchId);
      await state.finishStep(dispatchId);
      this.cache.delete(sagaId);
      return { state: (await this.load(sagaId)).state, appended: [] };
    }
    this.options.crashPoint('after-append', { sagaId, eventType: step.events[0]?.type ?? '' });
    this.remember(sagaId, { state: step.state, revision: upTo });
    guard();
    // most steps leave the deadlines as they were: the timer table needs no write then
    const deadlines = this.kind.decider.deadlines(step.state);
    if (!sameDeadlines(this.kind.decider.deadlines(loaded.state), deadlines)) {
      await state.replaceTimers(this.kind.name, sagaId, upTo, deadlines);
    }
    return {
      state: step.state,
      dispatchId,
      appended: step.events.map((event, i) => ({
        event,
        revision: loaded.revision + 1 + i,
        eventId: toAppend[i]?.eventId ?? '',
        // the store reports the position of an append's last event only
        position: i === step.events.length - 1 ? result.position : null,
        type: toAppend[i]?.type ?? event.type,
        data: toAppend[i]?.data,
      })),
    };
  }

  private remember(sagaId: string, loaded: LoadedSaga<S>): void {
    this.cache.delete(sagaId);
    this.cache.set(sagaId, loaded);
    if (this.cache.size > this.cacheSize) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
  }
}
