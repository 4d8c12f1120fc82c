import * as E from 'fp-ts/Either';
import { paymentStreamId, type ChargePart, type PaymentCommand, type PaymentState } from '../../domain/payment';
import type { OutgoingCommand } from '../../domain/sagas';
import { subtract, type Money, type OrderId, type Timestamp } from '../../domain/shared';
import type { EventStore } from '../../ports/event-store';
import type { PaymentProvider } from '../../ports/payment-provider';
import { resolvePayment } from './resolve-payment';
import { couponCentre, inventoryCentre, orderCentre, paymentCentre } from '../../domain/centres';
import type { AggregateType, CommandContext, CommandHandler, Handled } from '../command-handler';
import { KeyedQueue } from './concurrency';

/** What became of one command: accepted (or an idempotent repeat), or refused by its centre. */
export type SendOutcome =
  { readonly kind: 'accepted' } | { readonly kind: 'rejected'; readonly code: string; readonly message: string };

/**
 * The command stamped with the time it is sent. A saga derives its commands from its own events, which carry the
 * time of the fact the saga reacted to; sent with that time, every event down a chain of saga steps (reserved,
 * authorized, confirmed, captured) would claim the instant of the order's placement.
 */
export const sentAt = (outgoing: OutgoingCommand, at: Timestamp): OutgoingCommand => {
  switch (outgoing.target) {
    case 'order':
      return { ...outgoing, command: { ...outgoing.command, at } };
    case 'inventory':
      // an expiry carries the instant it was found due (`now`), not a time of its own
      return outgoing.command.type === 'ExpireReservation'
        ? outgoing
        : { ...outgoing, command: { ...outgoing.command, at } };
    case 'payment':
      return { ...outgoing, command: { ...outgoing.command, at } };
    case 'coupon':
      return { ...outgoing, command: { ...outgoing.command, at } };
  }
};

/** A failure worth trying again: a store error, or writers that kept colliding on a stream. */
export class TransientDispatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransientDispatchError';
  }
}

/** Retrying will not help: an operator must look (the dead letter says why). */
export class PermanentDispatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentDispatchError';
  }
}

/** The payment centre recorded a capture or void, but the provider kept failing to carry it out. */
export class ProviderOperationFailed extends PermanentDispatchError {
  constructor(operation: 'capture' | 'void', orderId: OrderId, message: string) {
    super(`provider ${operation} for order ${orderId} failed after retries: ${message}`);
    this.name = 'ProviderOperationFailed';
  }
}

export interface DispatcherOptions {
  readonly store: Pick<EventStore, 'findCommand'>;
  readonly handler: CommandHandler;
  readonly provider: PaymentProvider;
  /** provider retries for capture and void (which the payment centre records without an outcome) */
  readonly providerRetries: number;
  readonly providerBackoffMs: readonly number[];
  /** waits between provider retries; rejects when the runner stops */
  readonly pause: (ms: number) => Promise<void>;
  /** checked before every write: a stopped or crashed runner must not write any more */
  readonly guard: () => void;
}

/**
 * Sends a saga's outgoing command to its centre through the command handler, under the saga's deterministic
 * command id. Payment requests ask the provider first (through `resolvePayment`, which refuses what the payment
 * centre would refuse, so nobody is charged for a command that cannot land). Commands to one stream are sent one
 * at a time from this process, so the runner's own commands never collide on a hot SKU.
 */
export class SagaDispatcher {
  private readonly streams = new KeyedQueue();

  constructor(private readonly options: DispatcherOptions) {}

  async send(outgoing: OutgoingCommand, context: CommandContext): Promise<SendOutcome> {
    switch (outgoing.target) {
      case 'order':
        return this.handle(orderCentre, outgoing.command, context).then((r) => r.outcome);
      case 'inventory':
        return this.handle(inventoryCentre, outgoing.command, context).then((r) => r.outcome);
      case 'coupon':
        return this.handle(couponCentre, outgoing.command, context).then((r) => r.outcome);
      case 'payment':
        return this.payment(outgoing.commandId, outgoing.command, context);
    }
  }

  private async handle<C, S, Ev extends { readonly type: string }>(
    aggregate: AggregateType<C, S, Ev>,
    command: C,
    context: CommandContext,
  ): Promise<{ readonly outcome: SendOutcome; readonly handled?: Handled<S, Ev> }> {
    const streamId = aggregate.streamId(command);
    const result = await this.streams.run(streamId, () => {
      this.options.guard();
      return this.options.handler.handle(aggregate, command, context);
    });
    if (E.isRight(result)) return { outcome: { kind: 'accepted' }, handled: result.right };
    const error = result.left;
    if (error.code === 'ConcurrencyConflict') throw new TransientDispatchError(error.message);
    if (error.code === 'IdempotencyKeyReused') throw new PermanentDispatchError(error.message);
    return { outcome: { kind: 'rejected', code: error.code, message: error.message } };
  }

  private async payment(
    commandId: string,
    command: Extract<OutgoingCommand, { target: 'payment' }>['command'],
    context: CommandContext,
  ): Promise<SendOutcome> {
    const { handler, provider } = this.options;
    if (command.type === 'AuthorizePaymentRequest' || command.type === 'RefundPaymentRequest') {
      // handled before (a re-send after a crash): its outcome is recorded, the provider is not asked again
      if ((await this.options.store.findCommand(commandId)) !== undefined) return { kind: 'accepted' };
    }
    const loaded = await handler.load(paymentCentre, paymentStreamId(command.orderId));
    const resolved = await resolvePayment(provider, { commandId, command }, loaded.state);
    switch (resolved.kind) {
      case 'rejected':
        return { kind: 'rejected', code: resolved.error.code, message: resolved.error.message };
      case 'nothing_to_do':
        return { kind: 'accepted' };
      case 'command':
        return this.paymentCommand(commandId, resolved.command, context);
    }
  }

  private async paymentCommand(
    commandId: string,
    command: PaymentCommand,
    context: CommandContext,
  ): Promise<SendOutcome> {
    const { outcome, handled } = await this.handle(paymentCentre, command, context);
    if (outcome.kind === 'rejected') {
      // an approval the payment centre refused (e.g. the payment was voided while a slow provider answered)
      // holds the customer's money at the provider: release it there
      if (command.type === 'AuthorizePayment' && command.outcome.result === 'approved') {
        await this.providerVoid(command.orderId, command.outcome.authorizationId, `${commandId}:void`);
      }
      return outcome;
    }
    const state = handled?.state;
    if (state === undefined) return outcome;
    // the payment centre has no capture or void outcome: carry them out at the provider once recorded
    if (command.type === 'CapturePayment') {
      const captured = capturedOf(state, command.part);
      if (captured) await this.providerCapture(command.orderId, captured.authorizationId, captured.amount, commandId);
    } else if (command.type === 'VoidPayment') {
      const authorizationId = voidedAuthorizationOf(state, command.part);
      if (authorizationId !== null) await this.providerVoid(command.orderId, authorizationId, commandId);
    }
    return outcome;
  }

  private async providerCapture(orderId: OrderId, authorizationId: string, amount: Money, key: string) {
    await this.withProviderRetries('capture', orderId, () =>
      this.options.provider.capture({ orderId, authorizationId, amount, idempotencyKey: key }),
    );
  }

  private async providerVoid(orderId: OrderId, authorizationId: string, key: string) {
    await this.withProviderRetries('void', orderId, () =>
      this.options.provider.void({ orderId, authorizationId, idempotencyKey: key }),
    );
  }

  private async withProviderRetries(
    operation: 'capture' | 'void',
    orderId: OrderId,
    call: () => Promise<{ readonly result: string; readonly message?: string }>,
  ): Promise<void> {
    const { providerRetries, providerBackoffMs } = this.options;
    let last = 'no attempt made';
    for (let attempt = 1; attempt <= providerRetries + 1; attempt++) {
      this.options.guard();
      const answer = await call();
      if (answer.result !== 'provider_error') return;
      last = answer.message ?? 'provider error';
      if (attempt <= providerRetries) {
        await this.options.pause(providerBackoffMs[Math.min(attempt, providerBackoffMs.length) - 1] ?? 0);
      }
    }
    throw new ProviderOperationFailed(operation, orderId, last);
  }
}

/** What the provider must capture: the single charge (or a pre-sale's deposit), or the balance. */
const capturedOf = (
  state: PaymentState,
  part: ChargePart | undefined,
): { readonly authorizationId: string; readonly amount: Money } | undefined => {
  switch (state.status) {
    case 'Captured':
    case 'PartiallyRefunded':
    case 'Refunded': {
      const balance = state.balance;
      if (part === 'balance') {
        return balance?.status === 'Captured'
          ? { authorizationId: balance.authorizationId, amount: balance.captured }
          : undefined;
      }
      // cash was handed over on delivery: no provider holds it
      if (state.method === 'cash') return undefined;
      const amount = balance?.status === 'Captured' ? subtract(state.captured, balance.captured) : state.captured;
      return { authorizationId: state.authorizationId, amount };
    }
    case 'None':
    case 'Pending':
    case 'Declined':
    case 'Authorized':
    case 'Voided':
      return undefined;
  }
};

/** The authorization a recorded void releases at the provider, if any was held. */
const voidedAuthorizationOf = (state: PaymentState, part: ChargePart | undefined): string | null => {
  if (part === 'balance') {
    const balance =
      state.status === 'Captured' || state.status === 'PartiallyRefunded' || state.status === 'Refunded'
        ? state.balance
        : undefined;
    return balance?.status === 'Voided' ? balance.authorizationId : null;
  }
  return state.status === 'Voided' ? state.authorizationId : null;
};
