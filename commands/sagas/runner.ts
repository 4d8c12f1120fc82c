import { guardedProvider, type CircuitBreaker } from './circuit-breaker';
import { EventEmitter } from 'node:events';
import * as E from 'fp-ts/Either';
import {
  sagaInputsFor,
  type CommandRejected,
  type DeadlineReached,
  type FulfilmentEvent,
  type FulfilmentInput,
  type FulfilmentState,
  type OutgoingCommand,
  type RefundInput,
  type RefundSagaEvent,
  type RefundSagaState,
  type RoutedInput,
  type SagaName,
} from '../../domain/sagas';
import { timestamp } from '../../domain/shared';
import type { Logger } from '../../ports/logger';
import type { PaymentProvider } from '../../ports/payment-provider';
import type { Clock } from '../../ports/clock';
import { StoreUnavailableError, type EventStore } from '../../ports/event-store';
import type { Consumer, Delivery, MessageBus } from '../../ports/message-bus';
import { deadLetterEventOf, describeError, type DeadLetterEvent, type DeadLetterStore } from '../../ports/dead-letters';
import type { CommandHandler } from '../command-handler';
import { KeyedQueue, Semaphore } from './concurrency';
import { decodeCentreEvent, sagaNameOf, type SagaKinds } from './definitions';
import { PermanentDispatchError, SagaDispatcher, sentAt, type SendOutcome } from './dispatcher';
import { RunnerHalted, type CrashContext, type CrashPoint, type RunnerHooks } from './hooks';
import type { SagaMetrics } from './metrics';
import { SagaHost, type AppendedSagaEvent, type SagaInput } from './saga-host';
import type { PendingDispatch, SagaStateStore, Timer } from '../../ports/saga-state';

/** Consumer names: the bus group, and the dead-letter consumers of inputs and of the outbox. */
export const SAGA_CONSUMER = 'saga-runner';
export const SAGA_DISPATCH_CONSUMER = 'saga-runner:dispatch';

export interface SagaRunnerSettings {
  /** saga instances processed at once (default 32) */
  readonly concurrency: number;
  /** attempts at one input before it becomes a dead letter */
  readonly inputAttempts: number;
  readonly providerRetries: number;
  readonly providerBackoffMs: readonly number[];
  /** commands in flight at once (default 64) */
  readonly dispatchConcurrency?: number;
  /** attempts at one command when the store or a stream is busy (default 5) */
  readonly dispatchAttempts?: number;
  /**
   * How old an unfinished step of the dispatch log (and a claimed timer) must be before any runner takes it over
   * (default 15 s): how long the outbox of a runner that died waits at most, past the sweep's period (a third of it).
   */
  readonly takeoverMs?: number;
}

export interface SagaRunnerOptions {
  /** absent for a runner that only retries dead letters (`commerce dlq retry`) */
  readonly bus?: MessageBus;
  readonly store: EventStore;
  readonly handler: CommandHandler;
  readonly provider: PaymentProvider;
  readonly state: SagaStateStore;
  readonly deadLetters: DeadLetterStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly kinds: SagaKinds;
  readonly settings: SagaRunnerSettings;
  readonly metrics?: SagaMetrics;
  readonly hooks?: RunnerHooks;
  /** bus consumer group (default `saga-runner`) */
  readonly group?: string;
  readonly maxBatch?: number;
  /** how long the bus lets events gather when the runner is at the head (default: the bus's own) */
  readonly lingerMs?: number;
  /** how retries wait; rejects when `signal` aborts. Tests pass one that does not wait. */
  readonly pause?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** the breaker around the payment provider, kept across runner restarts; its waits are on real time */
  readonly breaker?: CircuitBreaker;
}

/** What submitting an input gives back: resolves once the commands of the resulting saga events were sent. */
export interface Submitted {
  readonly dispatched: Promise<void>;
}

const done: Submitted = { dispatched: Promise.resolve() };

/** Waits on real timers (unref'd, so a pending retry never keeps a stopping process alive). */
export const realPause = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(new RunnerHalted('stopped'));
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    timer.unref();
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new RunnerHalted('stopped'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

/**
 * The saga runner. Inputs come from the bus (consumer group `saga-runner`), from the timer table (scheduler) and
 * from rejected commands; each saga instance takes its inputs one at a time, at most `concurrency` instances at
 * once. An input is done when the saga events it caused are appended (and the timer table updated): only then
 * may the bus advance. Their commands are sent afterwards through the command handler, tracked by the dispatch
 * log (a row per step) so that a crash at any point re-sends them: on the next start (a store of its own), or by
 * any runner of the group once the step is older than the takeover time (a shared store, ADR 0020); deterministic
 * command ids make that safe.
 */
export class SagaRunner {
  private readonly fulfilment: SagaHost<FulfilmentInput, FulfilmentState, FulfilmentEvent>;
  private readonly refund: SagaHost<RefundInput, RefundSagaState, RefundSagaEvent>;
  private readonly inputs: KeyedQueue;
  private readonly dispatchSlots: Semaphore;
  private readonly dispatcher: SagaDispatcher;
  private readonly changes = new EventEmitter();
  private readonly abort = new AbortController();
  private readonly group: string;
  private consumer: Consumer | undefined;
  private halted: RunnerHalted | undefined;
  private haltCause: unknown;
  private onCrash: ((cause: unknown) => void) | undefined;
  private busy = 0;
  private lastPosition = 0;
  private sweeper: NodeJS.Timeout | undefined;
  private sweeping = false;
  /** dispatch-log rows this runner is announcing or sending: touched on every sweep, so no runner takes them over */
  private readonly liveSteps = new Set<string>();

  constructor(private readonly options: SagaRunnerOptions) {
    this.changes.setMaxListeners(0);
    this.group = options.group ?? SAGA_CONSUMER;
    const hostOptions = {
      store: options.store,
      state: options.state,
      clock: options.clock,
      guard: () => {
        this.guard();
      },
      crashPoint: (point: CrashPoint, context: CrashContext) => {
        this.crashPoint(point, context);
      },
      liveSteps: this.liveSteps,
      onConflict: (saga: string) => options.metrics?.conflicts.inc({ saga }),
    };
    this.fulfilment = new SagaHost(options.kinds.fulfilment, hostOptions);
    this.refund = new SagaHost(options.kinds.refund, hostOptions);
    this.inputs = new KeyedQueue(new Semaphore(options.settings.concurrency));
    this.dispatchSlots = new Semaphore(options.settings.dispatchConcurrency ?? 64);
    this.dispatcher = new SagaDispatcher({
      store: options.store,
      handler: options.handler,
      provider:
        options.breaker === undefined
          ? options.provider
          : guardedProvider(
              options.provider,
              options.breaker,
              (ms) => realPause(ms, this.abort.signal),
              () => performance.now(),
            ),
      providerRetries: options.settings.providerRetries,
      providerBackoffMs: options.settings.providerBackoffMs,
      pause: (ms) => this.pause(ms),
      guard: () => {
        this.guard();
      },
    });
    if (options.metrics) options.metrics.sources.inFlight = () => this.busy;
  }

  /** Re-sends what a previous run left undispatched, then consumes the bus. */
  async start(): Promise<void> {
    const bus = this.options.bus;
    if (bus === undefined) throw new Error('the saga runner needs a message bus to start');
    await this.recover();
    this.startSweeping();
    const head = await this.options.store.headPosition();
    const consumer = await bus.consume(
      {
        group: this.group,
        ...(this.options.maxBatch ? { maxBatch: this.options.maxBatch } : {}),
        ...(this.options.lingerMs === undefined ? {} : { lingerMs: this.options.lingerMs }),
      },
      (batch) => this.onBatch(batch),
    );
    this.consumer = consumer;
    // everything up to the head at start is delivered (or was before the checkpoint) once caught up
    consumer.caughtUp.then(
      () => {
        this.lastPosition = Math.max(this.lastPosition, head);
        this.changed();
      },
      () => undefined,
    );
    consumer.done.catch((error: unknown) => {
      if (this.halted) return;
      this.options.logger.error({ err: error }, 'saga runner: the bus consumer failed');
      this.halt('crashed', error);
    });
  }

  /**
   * Stops consuming, lets work in flight finish for up to `graceMs`, then abandons the rest: the dispatch log
   * re-sends it on the next start.
   */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.halted) {
      await this.consumer?.stop().catch(() => undefined);
      await this.settle(graceMs);
      this.halt('stopped');
    } else {
      await this.consumer?.stop().catch(() => undefined);
    }
  }

  /** Called once if the runner crashes (its bus consumer failed, or a test's crash hook threw). */
  whenCrashed(callback: (cause: unknown) => void): void {
    this.onCrash = callback;
  }

  /** The error that crashed the runner, if it did. */
  get crashed(): unknown {
    return this.halted?.why === 'crashed' ? (this.haltCause ?? this.halted) : undefined;
  }

  get inFlight(): number {
    return this.busy;
  }

  /**
   * Resolves once nothing is in flight and every event in the store up to now was handled; rejects after
   * `timeoutMs` or when the runner crashed. For tests and orderly handovers (embedded bus).
   */
  async idle(timeoutMs = 30_000): Promise<void> {
    const started = Date.now();
    for (;;) {
      if (this.halted) throw this.halted;
      // the head is read asynchronously: work may start meanwhile, so ask again after it
      if (this.busy === 0 && this.quiet(await this.options.store.headPosition())) return;
      const left = timeoutMs - (Date.now() - started);
      if (left <= 0) {
        throw new Error(`saga runner not idle after ${timeoutMs} ms (${this.busy} in flight, at ${this.lastPosition})`);
      }
      await this.nextChange(left);
    }
  }

  private quiet(head: number): boolean {
    return this.busy === 0 && this.lastPosition >= head;
  }

  /** Feeds a timer that fell due to its saga, then drops the timer. */
  async fireTimer(timer: Timer): Promise<Submitted> {
    const input: DeadlineReached = {
      type: 'DeadlineReached',
      deadlineId: timer.deadlineId,
      now: timestamp(this.options.clock.now().toISOString()),
    };
    const key = `deadline:${timer.deadlineId}@${timer.dueAt}`;
    const submitted = await this.submitCommon(timer.saga, timer.sagaId, input, key, key);
    this.guard();
    await this.options.state.removeTimer(timer.sagaId, timer.deadlineId, timer.dueMs);
    return submitted;
  }

  /** Runs one input again for `commerce dlq retry`: throws when it still fails. */
  async retryInput(letter: DeadLetterEvent, sagaId: string): Promise<void> {
    const name = sagaNameOf(sagaId);
    if (name === undefined) throw new Error(`${sagaId} is not a saga stream`);
    const submitted = await this.processLetter(name, sagaId, letter);
    await submitted.dispatched;
  }

  /** The log position up to which every event has been handled (its commands sent, its saga events recorded). */
  get position(): number {
    return this.lastPosition;
  }

  /** Sends the outbox of one saga event again for `commerce dlq retry`. */
  async retryDispatch(sagaId: string, revision: number): Promise<void> {
    const name = sagaNameOf(sagaId);
    if (name === undefined) throw new Error(`${sagaId} is not a saga stream`);
    const failures =
      name === 'fulfilment'
        ? await this.redispatch(this.fulfilment, sagaId, revision)
        : await this.redispatch(this.refund, sagaId, revision);
    if (failures.length > 0) throw new Error(failures.join('; '));
  }

  // -------------------------------------------------------------------------------------------------------------
  // inputs

  private async onBatch(batch: readonly Delivery[]): Promise<void> {
    this.guard();
    const work: Promise<Submitted>[] = [];
    let highest = this.lastPosition;
    for (const delivery of batch) {
      highest = Math.max(highest, delivery.event.position);
      const decoded = decodeCentreEvent(delivery.event);
      if (decoded === undefined) continue;
      if (E.isLeft(decoded)) {
        await this.deadLetter(SAGA_CONSUMER, delivery.event.streamId, deadLetterEventOf(delivery), decoded.left, 1);
        continue;
      }
      for (const routed of sagaInputsFor(decoded.right)) {
        const key = `event:${delivery.event.eventId}`;
        work.push(this.submitRouted(routed, key, delivery.event.eventId, deadLetterEventOf(delivery)));
      }
    }
    await Promise.all(work);
    this.crashPoint('before-checkpoint', {});
    // batches of several partitions may finish out of order: the position never goes back
    this.lastPosition = Math.max(this.lastPosition, highest);
    this.changed();
  }

  private submitRouted(routed: RoutedInput, key: string, causationId: string, origin: DeadLetterEvent) {
    switch (routed.saga) {
      case 'fulfilment':
        return this.submit(this.fulfilment, routed.sagaId, { input: routed.input, key, causationId }, origin);
      case 'refund':
        return this.submit(this.refund, routed.sagaId, { input: routed.input, key, causationId }, origin);
    }
  }

  private submitCommon(
    saga: SagaName,
    sagaId: string,
    input: DeadlineReached | CommandRejected,
    key: string,
    causationId: string,
  ): Promise<Submitted> {
    const origin: DeadLetterEvent = {
      eventId: key,
      streamId: sagaId,
      revision: null,
      position: null,
      type: input.type,
      data: input,
      metadata: null,
      source: null,
      sequence: null,
    };
    switch (saga) {
      case 'fulfilment':
        return this.submit(
          this.fulfilment,
          sagaId,
          { input: this.fulfilment.kind.lift(input), key, causationId },
          origin,
        );
      case 'refund':
        return this.submit(this.refund, sagaId, { input: this.refund.kind.lift(input), key, causationId }, origin);
    }
  }

  private submit<I, S, Ev extends { readonly type: string }>(
    host: SagaHost<I, S, Ev>,
    sagaId: string,
    item: SagaInput<I>,
    origin: DeadLetterEvent,
  ): Promise<Submitted> {
    this.busy += 1;
    return this.inputs
      .run(sagaId, () => this.process(host, sagaId, item, origin))
      .finally(() => {
        this.busy -= 1;
        this.changed();
      });
  }

  private async process<I, S, Ev extends { readonly type: string }>(
    host: SagaHost<I, S, Ev>,
    sagaId: string,
    item: SagaInput<I>,
    origin: DeadLetterEvent,
  ): Promise<Submitted> {
    this.guard();
    const saga = host.kind.name;
    // keep the saga's inputs in order: while it has a dead letter, this one waits behind it (the cheap read
    // first; the atomic park then settles a race with a retry emptying the key)
    if ((await this.options.deadLetters.isParked(SAGA_CONSUMER, sagaId)) && (await this.parkBehind(sagaId, origin))) {
      this.options.metrics?.inputs.inc({ saga, outcome: 'dead_letter' });
      return done;
    }
    const attempts = this.options.settings.inputAttempts;
    let failure = 'no attempt made';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const result = await host.step(sagaId, item);
        this.options.metrics?.inputs.inc({ saga, outcome: result.appended.length > 0 ? 'applied' : 'unchanged' });
        return { dispatched: this.dispatchStep(host, sagaId, result.appended, result.dispatchId) };
      } catch (error) {
        this.rethrowIfHalted(error);
        host.forget(sagaId);
        // the store being down is not this input's fault: the batch fails and comes again, nothing is dead-lettered
        if (error instanceof StoreUnavailableError) throw error;
        failure = describeError(error);
        if (attempt < attempts) await this.pause(20 * attempt);
      }
    }
    this.options.logger.warn({ sagaId, input: origin.type, error: failure }, 'saga input dead-lettered');
    await this.deadLetter(SAGA_CONSUMER, sagaId, origin, failure, attempts);
    this.options.metrics?.inputs.inc({ saga, outcome: 'dead_letter' });
    return done;
  }

  private async parkBehind(sagaId: string, origin: DeadLetterEvent): Promise<boolean> {
    const parked = await this.options.deadLetters.parkBehind({
      consumer: SAGA_CONSUMER,
      key: sagaId,
      event: origin,
      error: `parked behind an earlier dead letter of ${sagaId}`,
      attempts: 0,
    });
    return parked !== undefined;
  }

  /** A dead-lettered input again: outside the parking check (it is the letter being retried); throws on failure. */
  private processLetter(saga: SagaName, sagaId: string, letter: DeadLetterEvent): Promise<Submitted> {
    if (letter.type === 'DeadlineReached' || letter.type === 'CommandRejected') {
      // written by this runner from a DeadlineReached or CommandRejected input
      const input = letter.data as DeadlineReached | CommandRejected;
      return saga === 'fulfilment'
        ? this.retryStep(this.fulfilment, sagaId, {
            input: this.fulfilment.kind.lift(input),
            key: letter.eventId,
            causationId: letter.eventId,
          })
        : this.retryStep(this.refund, sagaId, {
            input: this.refund.kind.lift(input),
            key: letter.eventId,
            causationId: letter.eventId,
          });
    }
    const decoded = decodeCentreEvent(letter);
    if (decoded === undefined) throw new Error(`${letter.type} is not an event of a centre`);
    if (E.isLeft(decoded)) throw new Error(decoded.left);
    const routed = sagaInputsFor(decoded.right).find((r) => r.sagaId === sagaId);
    if (routed === undefined) throw new Error(`${letter.type} is no input of ${sagaId}`);
    const item = { key: `event:${letter.eventId}`, causationId: letter.eventId };
    return routed.saga === 'fulfilment'
      ? this.retryStep(this.fulfilment, sagaId, { ...item, input: routed.input })
      : this.retryStep(this.refund, sagaId, { ...item, input: routed.input });
  }

  private retryStep<I, S, Ev extends { readonly type: string }>(
    host: SagaHost<I, S, Ev>,
    sagaId: string,
    item: SagaInput<I>,
  ): Promise<Submitted> {
    this.busy += 1;
    return this.inputs
      .run(sagaId, async () => {
        host.forget(sagaId);
        const result = await host.step(sagaId, item);
        return { dispatched: this.dispatchStep(host, sagaId, result.appended, result.dispatchId) };
      })
      .finally(() => {
        this.busy -= 1;
        this.changed();
      });
  }

  // -------------------------------------------------------------------------------------------------------------
  // the outbox

  /** Sends the commands of a step's saga events, then finishes the step's row in the dispatch log. */
  private dispatchStep<I, S, Ev extends { readonly type: string }>(
    host: SagaHost<I, S, Ev>,
    sagaId: string,
    appended: readonly AppendedSagaEvent<Ev>[],
    dispatchId: string | undefined,
  ): Promise<void> {
    if (appended.length === 0 || dispatchId === undefined) return Promise.resolve();
    this.busy += 1;
    this.liveSteps.add(dispatchId);
    const run = async (): Promise<void> => {
      try {
        for (const event of appended) {
          const commands = host.kind.decider.outbox(event.event).commands;
          await Promise.all(commands.map((command) => this.dispatchCommand(host, sagaId, event, command)));
        }
        this.crashPoint('after-dispatch', { sagaId });
        this.guard();
        await this.options.state.finishStep(dispatchId);
      } finally {
        // sent, or given up on (halted, the store down): a row left behind goes stale for a sweep
        this.liveSteps.delete(dispatchId);
        this.busy -= 1;
        this.changed();
      }
    };
    const promise = run();
    promise.catch((error: unknown) => {
      if (!(error instanceof RunnerHalted)) this.options.logger.error({ err: error, sagaId }, 'saga dispatch failed');
    });
    return promise;
  }

  private async dispatchCommand<I, S, Ev extends { readonly type: string }>(
    host: SagaHost<I, S, Ev>,
    sagaId: string,
    event: AppendedSagaEvent<Ev>,
    planned: OutgoingCommand,
  ): Promise<string | undefined> {
    return this.dispatchSlots.use(async () => {
      // the saga step carries the time of the fact it reacted to; the command happens now (a re-send is
      // deduplicated by its command id, so a later time never writes twice)
      const command = sentAt(planned, timestamp(this.options.clock.now().toISOString()));
      const attempts = this.options.settings.dispatchAttempts ?? 5;
      let outcome: SendOutcome | undefined;
      let failure = 'no attempt made';
      for (let attempt = 1; attempt <= attempts && outcome === undefined; attempt++) {
        this.guard();
        try {
          outcome = await this.dispatcher.send(command, {
            commandId: command.commandId,
            causationId: event.eventId,
            correlationId: sagaId,
          });
        } catch (error) {
          this.rethrowIfHalted(error);
          // the store being down is not the command's fault: the step stays in the dispatch log, to be sent again
          if (error instanceof StoreUnavailableError) throw error;
          failure = describeError(error);
          if (error instanceof PermanentDispatchError) break;
          if (attempt < attempts) await this.pause(Math.min(1_000, 25 * 2 ** attempt));
        }
      }
      if (outcome === undefined) {
        this.options.metrics?.commands.inc({ target: command.target, outcome: 'failed' });
        this.options.logger.warn(
          { sagaId, commandId: command.commandId, error: failure },
          'saga command dead-lettered',
        );
        await this.deadLetter(
          SAGA_DISPATCH_CONSUMER,
          sagaId,
          this.sagaEventLetter(sagaId, event),
          `${command.commandId}: ${failure}`,
          attempts,
        );
        return `${command.commandId}: ${failure}`;
      }
      this.options.metrics?.commands.inc({ target: command.target, outcome: outcome.kind });
      this.crashPoint('after-command', { sagaId, commandId: command.commandId });
      if (outcome.kind === 'rejected') {
        const rejected: CommandRejected = {
          type: 'CommandRejected',
          commandId: command.commandId,
          code: outcome.code,
          at: timestamp(this.options.clock.now().toISOString()),
        };
        // recorded before this step counts as dispatched, so a crash in between sends (and rejects) it again
        const key = `rejected:${command.commandId}`;
        await this.submitCommon(host.kind.name, sagaId, rejected, key, command.commandId);
      }
      return undefined;
    });
  }

  private async redispatch<I, S, Ev extends { readonly type: string }>(
    host: SagaHost<I, S, Ev>,
    sagaId: string,
    revision: number,
  ): Promise<string[]> {
    const [event] = await host.eventsAfter(sagaId, revision - 1);
    if (event?.revision !== revision) throw new Error(`${sagaId} has no event at revision ${revision}`);
    const commands = host.kind.decider.outbox(event.event).commands;
    const failures = await Promise.all(commands.map((command) => this.dispatchCommand(host, sagaId, event, command)));
    return failures.filter((f): f is string => f !== undefined);
  }

  private sagaEventLetter<Ev>(sagaId: string, event: AppendedSagaEvent<Ev>): DeadLetterEvent {
    return {
      eventId: event.eventId,
      streamId: sagaId,
      revision: event.revision,
      position: event.position,
      type: event.type,
      data: event.data,
      metadata: null,
      source: null,
      sequence: null,
    };
  }

  // -------------------------------------------------------------------------------------------------------------
  // recovery

  /** how old a step or a timer claim must be before another runner takes it over */
  get takeoverMs(): number {
    return this.options.settings.takeoverMs ?? 15_000;
  }

  /** Re-sends what a previous run left undispatched: everything in a store of its own, stale steps in a shared one. */
  private async recover(): Promise<void> {
    const { state } = this.options;
    if (!(await state.isInitialized())) await this.rebuild();
    // a store of its own: everything in it was left by an earlier run, up to this very millisecond (a claimed step's
    // age is set to the bound, so the next page does not meet it again)
    const now = Date.now();
    if (state.exclusive) await this.sweep(now + 1, now + 1);
    else await this.sweep(now - this.takeoverMs, now);
    await state.markInitialized();
  }

  /**
   * Takes over the dispatch log's steps announced before `before` and re-sends the outbox of their saga events that
   * exist: a step whose runner died, or whose append lost a race. Resolves once their dispatches started.
   */
  private async sweep(before: number, now: number): Promise<number> {
    let taken = 0;
    for (let round = 0; round < 1_000; round++) {
      const steps = await this.options.state.claimStaleSteps(before, 200, now);
      if (steps.length === 0) break;
      taken += steps.length;
      await Promise.all(
        steps.map((step) =>
          step.saga === 'fulfilment' ? this.recoverStep(this.fulfilment, step) : this.recoverStep(this.refund, step),
        ),
      );
      if (steps.length < 200) break;
    }
    return taken;
  }

  /**
   * Every third of the takeover time: keeps this runner's steps in flight young (however slowly they go, no other
   * runner takes them), then takes over the steps nobody kept young for the takeover time — left by a runner that
   * died, or by a step of this one that failed.
   */
  private startSweeping(): void {
    const every = Math.max(50, Math.floor(this.takeoverMs / 3));
    this.sweeper = setInterval(() => {
      if (this.halted || this.sweeping) return;
      const now = Date.now();
      this.sweeping = true;
      this.options.state
        .touchSteps([...this.liveSteps], now)
        .then(() => this.sweep(now - this.takeoverMs, now))
        .then((taken) => {
          if (taken > 0) this.options.logger.info({ steps: taken }, 'saga runner: took over stale dispatch steps');
        })
        .catch((error: unknown) => {
          if (!this.halted) this.options.logger.error({ err: error }, 'saga runner: dispatch sweep failed');
        })
        .finally(() => {
          this.sweeping = false;
        });
    }, every);
    this.sweeper.unref();
  }

  private async recoverStep<I, S, Ev extends { readonly type: string }>(
    host: SagaHost<I, S, Ev>,
    step: PendingDispatch,
  ): Promise<Submitted> {
    const { sagaId } = step;
    // in the saga's queue, so the timers it syncs are not those of a step in flight
    return this.inputs.run(sagaId, async (): Promise<Submitted> => {
      await host.syncTimers(sagaId);
      // the row may announce more than was appended (the crash came before the append): send only what exists
      const events = (await host.eventsAfter(sagaId, step.first - 1)).filter((e) => e.revision <= step.last);
      if (events.length === 0) {
        await this.options.state.finishStep(step.id);
        return done;
      }
      this.options.logger.info(
        { sagaId, from: step.first, to: events[events.length - 1]?.revision },
        'saga runner: re-sending outbox',
      );
      return { dispatched: this.dispatchStep(host, sagaId, events, step.id) };
    });
  }

  /**
   * A fresh state file next to an existing event store (first start, or the file was lost): re-arm every saga's
   * timers from its folded state and re-send the outbox of every saga that is not settled. Commands are
   * idempotent by id, so re-sending what was sent before changes nothing.
   */
  private async rebuild(): Promise<void> {
    const sagas = new Map<string, SagaName>();
    for (let after = 0; ;) {
      const page = await this.options.store.readAll({ after, maxCount: 2_000 });
      const last = page[page.length - 1];
      if (last === undefined) break;
      for (const recorded of page) {
        const name = sagaNameOf(recorded.streamId);
        if (name !== undefined) sagas.set(recorded.streamId, name);
      }
      after = last.position;
    }
    for (const [sagaId, name] of sagas) {
      if (name === 'fulfilment') await this.rearm(this.fulfilment, sagaId);
      else await this.rearm(this.refund, sagaId);
    }
    if (sagas.size > 0) this.options.logger.info({ sagas: sagas.size }, 'saga runner: rebuilt timers from the streams');
  }

  private async rearm<I, S, Ev extends { readonly type: string }>(host: SagaHost<I, S, Ev>, sagaId: string) {
    const loaded = await host.syncTimers(sagaId);
    if (!host.kind.settled(loaded.state)) {
      await this.options.state.announceStep(host.kind.name, sagaId, 0, loaded.revision);
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // plumbing

  private async deadLetter(
    consumer: string,
    key: string,
    event: DeadLetterEvent,
    error: string,
    attempts: number,
  ): Promise<void> {
    this.guard();
    await this.options.deadLetters.record({ consumer, key, event, error, attempts });
  }

  private guard(): void {
    if (this.halted) throw this.halted;
  }

  private crashPoint(point: CrashPoint, context: CrashContext): void {
    const at = this.options.hooks?.at;
    if (at === undefined) return;
    try {
      at(point, context);
    } catch (error) {
      this.halt('crashed', error);
      throw this.halted ?? error;
    }
  }

  private rethrowIfHalted(error: unknown): void {
    if (error instanceof RunnerHalted) throw error;
    // a failure after the runner halted (a closed store) is part of the halt, not the input's fault
    if (this.halted) throw this.halted;
  }

  private halt(why: 'stopped' | 'crashed', cause?: unknown): void {
    if (this.halted) return;
    this.halted = new RunnerHalted(why);
    this.haltCause = cause;
    this.abort.abort();
    clearInterval(this.sweeper);
    if (why === 'crashed') {
      void this.consumer?.stop().catch(() => undefined);
      this.onCrash?.(cause);
    }
    this.changed();
  }

  private pause(ms: number): Promise<void> {
    return (this.options.pause ?? realPause)(ms, this.abort.signal);
  }

  private changed(): void {
    this.changes.emit('change');
  }

  private nextChange(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.changes.off('change', finish);
        resolve();
      };
      const timer = setTimeout(finish, timeoutMs);
      this.changes.once('change', finish);
    });
  }

  /** waits until nothing is in flight, at most `graceMs` */
  private async settle(graceMs: number): Promise<void> {
    const started = Date.now();
    while (this.busy > 0) {
      const left = graceMs - (Date.now() - started);
      if (left <= 0) {
        this.options.logger.warn({ inFlight: this.busy }, 'saga runner: abandoning work in flight on shutdown');
        return;
      }
      await this.nextChange(left);
    }
  }
}
