import * as E from 'fp-ts/Either';
import { fold, type Decider, type DomainError, type EventRegistry } from '../domain/shared';
import { deterministicId } from '../ports/ids';
import {
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
} from '../ports/event-store';
import type { Clock } from '../ports/clock';
import type { Metrics } from '../ports/metrics';

/** Everything the handler needs to know about one kind of aggregate. */
export interface AggregateType<C, S, Ev extends { readonly type: string }> {
  /** short name used in metrics and stream ids, e.g. `order` */
  readonly name: string;
  readonly decider: Decider<C, S, Ev>;
  readonly events: EventRegistry<Ev>;
  readonly streamId: (command: C) => string;
}

export interface CommandContext {
  /** idempotency key: the same id never produces events twice */
  readonly commandId: string;
  readonly correlationId: string;
  readonly causationId: string;
  /**
   * Fingerprint of the client request behind an idempotency key. A repeat of the key with another fingerprint is
   * refused (`IdempotencyKeyMismatch`) instead of being answered with the first result.
   */
  readonly requestFingerprint?: string;
}

export interface Handled<S, Ev> {
  readonly state: S;
  /** events this call appended (empty for an idempotent repeat or a no-op) */
  readonly events: readonly Ev[];
  /** stream revision after the command (-1: the stream does not exist) */
  readonly revision: number;
  /** global position of the stream's last event: clients wait for the read side to reach it */
  readonly position: number;
  /** the command id had been handled before; nothing was appended, and `state`/`position` are as it first left them */
  readonly duplicate: boolean;
  /** stream revision before the command's events (-1: the command created the stream) */
  readonly previousRevision: number;
}

export interface ConcurrencyExhausted {
  readonly code: 'ConcurrencyConflict' | 'IdempotencyKeyReused';
  readonly category: 'conflict';
  readonly message: string;
}

/** The idempotency key was first used for a request with other parameters (Stripe answers the same way). */
export interface IdempotencyKeyMismatch {
  readonly code: 'IdempotencyKeyMismatch';
  readonly category: 'rule_violation';
  readonly message: string;
  readonly details: { readonly idempotencyKey: string };
}

export type CommandError = DomainError | ConcurrencyExhausted | IdempotencyKeyMismatch;

interface Loaded<S> {
  readonly state: S;
  readonly revision: number;
  readonly position: number;
}

export interface CommandHandlerOptions {
  readonly store: EventStore;
  readonly clock: Clock;
  readonly metrics?: Metrics;
  /** reload-and-retry attempts after a concurrency conflict */
  readonly retries?: number;
  /** streams whose folded state is kept in memory (trusted, and checked by the append's expected revision) */
  readonly cacheSize?: number;
}

/**
 * load → decide → append with the expected revision. A conflict means someone else appended first: reload the
 * stream and decide again, a bounded number of times. State is cached per stream; a command decides on the cached
 * state without reading the stream (the expected revision catches a stale cache, which is then caught up from the
 * cached revision, so long streams such as a hot SKU are not re-read from the start); the store stays the source of
 * truth.
 */
export class CommandHandler {
  private readonly cache = new Map<string, Loaded<unknown>>();
  private readonly retries: number;
  private readonly cacheSize: number;

  constructor(private readonly options: CommandHandlerOptions) {
    this.retries = options.retries ?? 5;
    this.cacheSize = options.cacheSize ?? 5_000;
  }

  async load<C, S, Ev extends { readonly type: string }>(
    aggregate: AggregateType<C, S, Ev>,
    streamId: string,
  ): Promise<Loaded<S>> {
    // Entries are only ever written by this aggregate type for this stream id, so the cast is sound.
    const cached = this.cache.get(streamId) as Loaded<S> | undefined;
    const from = cached ? cached.revision + 1 : 0;
    const recorded = await this.options.store.readStream(streamId, { fromRevision: from });
    let loaded: Loaded<S> = cached ?? { state: aggregate.decider.initialState, revision: -1, position: 0 };
    if (recorded.length > 0) {
      const last = recorded[recorded.length - 1];
      loaded = {
        state: fold(
          aggregate.decider,
          recorded.map((r) => decodeRecorded(aggregate, r)),
          loaded.state,
        ),
        revision: last?.revision ?? loaded.revision,
        position: last?.position ?? loaded.position,
      };
      this.remember(streamId, loaded);
    }
    return loaded;
  }

  /** Whether a command with this id was handled before (the store recorded it with its events). */
  async handled(commandId: string): Promise<boolean> {
    return (await this.options.store.findCommand(commandId)) !== undefined;
  }

  async handle<C, S, Ev extends { readonly type: string }>(
    aggregate: AggregateType<C, S, Ev>,
    command: C,
    context: CommandContext,
  ): Promise<E.Either<CommandError, Handled<S, Ev>>> {
    const streamId = aggregate.streamId(command);
    const commandName = commandType(command);
    // A command handled before gets its first answer again. Most commands are new, so the store is not asked first:
    // an append of a recorded command id writes nothing and says so (`repeated`), and only a refusal or a no-op,
    // which append nothing, look the command id up.
    const answerRepeat = async (
      previous: AppendResult & { readonly streamId: string },
    ): Promise<E.Either<CommandError, Handled<S, Ev>>> => {
      const repeat = await this.repeatOf(aggregate, streamId, previous, context);
      this.count(commandName, E.isLeft(repeat) ? 'rejected' : 'duplicate');
      return repeat;
    };
    // The cached state is trusted without reading the stream: the append names the revision it was decided on, so
    // a stale cache is refused by the store and read again. Only a refusal or no-op decided on it is checked first.
    let unverified = this.cache.get(streamId) as Loaded<S> | undefined;
    for (let attempt = 0; ; attempt++) {
      let loaded = unverified ?? (await this.load(aggregate, streamId));
      let decision = aggregate.decider.decide(command, loaded.state);
      if (unverified !== undefined && (E.isLeft(decision) || decision.right.length === 0)) {
        unverified = undefined;
        loaded = await this.load(aggregate, streamId);
        decision = aggregate.decider.decide(command, loaded.state);
      }
      const stale = unverified !== undefined;
      unverified = undefined;
      if (E.isLeft(decision) || decision.right.length === 0) {
        const previous = await this.options.store.findCommand(context.commandId);
        if (previous !== undefined) return answerRepeat(previous);
      }
      if (E.isLeft(decision)) {
        this.count(commandName, 'rejected');
        return decision;
      }
      const events = decision.right;
      if (events.length === 0) {
        this.count(commandName, 'unchanged');
        return E.right({ ...loaded, events, duplicate: false, previousRevision: loaded.revision });
      }
      const timestamp = this.options.clock.now().toISOString();
      const toAppend: NewEvent[] = events.map((event, i) => {
        const stored = aggregate.events.encode(event);
        return {
          // derived from the command id: a blind re-append after a crash is deduplicated by the store
          eventId: deterministicId(`${context.commandId}/${streamId}/${i}`),
          type: stored.type,
          data: stored.data,
          metadata: {
            commandId: context.commandId,
            causationId: context.causationId,
            correlationId: context.correlationId,
            timestamp,
            schemaVersion: versionOf(stored.type),
            ...(context.requestFingerprint === undefined ? {} : { requestFingerprint: context.requestFingerprint }),
          },
        };
      });
      try {
        const result = await this.options.store.append(
          streamId,
          toAppend,
          loaded.revision < 0 ? 'no_stream' : loaded.revision,
          { commandId: context.commandId },
        );
        if (result.repeated !== undefined) return await answerRepeat({ ...result, streamId: result.repeated.streamId });
        const state = fold(aggregate.decider, events, loaded.state);
        const next: Loaded<S> = { state, revision: result.revision, position: result.position };
        this.remember(streamId, next);
        this.options.metrics?.eventsAppended.inc({ stream_type: aggregate.name }, events.length);
        this.count(commandName, 'accepted');
        return E.right({ ...next, events, duplicate: false, previousRevision: loaded.revision });
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
        this.cache.delete(streamId);
        // decided on a cache another writer had moved past: read the stream and decide again, at once
        if (stale) {
          attempt -= 1;
          continue;
        }
        this.options.metrics?.appendConflicts.inc({ stream_type: aggregate.name });
        if (attempt >= this.retries) {
          this.count(commandName, 'conflict');
          return E.left({
            code: 'ConcurrencyConflict',
            category: 'conflict',
            message: `stream ${streamId} kept changing; gave up after ${attempt + 1} attempts`,
          });
        }
        // jittered backoff spreads out writers that collided on the same stream
        await delay(Math.min(50, 2 ** attempt) * (0.5 + pseudoJitter(context.commandId, attempt)));
      }
    }
  }

  /**
   * A command id seen before: the same request gets its first answer again (the stream folded up to the command's
   * last event, so the state is as the first call left it, not as it is now); other parameters under the same
   * key are refused. Reads the stream from the start, which only repeats pay.
   */
  private async repeatOf<C, S, Ev extends { readonly type: string }>(
    aggregate: AggregateType<C, S, Ev>,
    streamId: string,
    previous: AppendResult & { readonly streamId: string },
    context: CommandContext,
  ): Promise<E.Either<CommandError, Handled<S, Ev>>> {
    const mismatch = (): E.Either<CommandError, Handled<S, Ev>> =>
      E.left({
        code: 'IdempotencyKeyMismatch',
        category: 'rule_violation',
        message: `Idempotency-Key ${context.commandId} was first used with other parameters; use a new key for a new request`,
        details: { idempotencyKey: context.commandId },
      });
    if (previous.streamId !== streamId) {
      if (context.requestFingerprint !== undefined) return mismatch();
      return E.left({
        code: 'IdempotencyKeyReused',
        category: 'conflict',
        message: `command id ${context.commandId} was already used for another resource`,
      });
    }
    const recorded = (await this.options.store.readStream(streamId)).filter((r) => r.revision <= previous.revision);
    const own = recorded.filter((r) => r.metadata.commandId === context.commandId);
    const fingerprint = own[0]?.metadata.requestFingerprint;
    if (
      context.requestFingerprint !== undefined &&
      fingerprint !== undefined &&
      fingerprint !== context.requestFingerprint
    )
      return mismatch();
    return E.right({
      state: fold(
        aggregate.decider,
        recorded.map((r) => decodeRecorded(aggregate, r)),
        aggregate.decider.initialState,
      ),
      events: [],
      revision: previous.revision,
      position: previous.position,
      duplicate: true,
      previousRevision: (own[0]?.revision ?? previous.revision + 1) - 1,
    });
  }

  private remember(streamId: string, loaded: Loaded<unknown>): void {
    this.cache.delete(streamId);
    this.cache.set(streamId, loaded);
    if (this.cache.size > this.cacheSize) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
  }

  private count(command: string, outcome: string): void {
    this.options.metrics?.commands.inc({ command, outcome });
  }
}

export const decodeRecorded = <C, S, Ev extends { readonly type: string }>(
  aggregate: AggregateType<C, S, Ev>,
  recorded: RecordedEvent,
): Ev => {
  const decoded = aggregate.events.decode(recorded);
  // A stored event we cannot read is corruption or a missing upcaster: stop rather than decide on a wrong state.
  if (E.isLeft(decoded)) throw new Error(`cannot decode ${recorded.streamId}@${recorded.revision}: ${decoded.left}`);
  return decoded.right;
};

const versionOf = (storedType: string): number => Number(/\.v(\d+)$/.exec(storedType)?.[1] ?? 1);

const commandType = (command: unknown): string =>
  typeof command === 'object' && command !== null && 'type' in command && typeof command.type === 'string'
    ? command.type
    : 'unknown';

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Deterministic per command and attempt (no Math.random needed for spreading retries). */
const pseudoJitter = (seed: string, attempt: number): number => {
  let h = attempt + 1;
  for (let i = 0; i < seed.length; i++) h = (h * 31 + seed.charCodeAt(i)) >>> 0;
  return (h % 1000) / 1000;
};
