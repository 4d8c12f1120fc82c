import * as E from 'fp-ts/Either';
import { inventoryDecider, purchaseLimit, type InventoryEvent, type InventoryState } from '../../domain/inventory';
import {
  orderDecider,
  type OrderCommand,
  type OrderEvent,
  type OrderPlaced,
  type OrderState,
} from '../../domain/order';
import {
  couponDecider,
  couponPerCustomerLimit,
  couponTotalLimit,
  type CouponEvent,
  type CouponState,
} from '../../domain/pricing';
import {
  canAuthorize,
  canRefund,
  isCashPayment,
  paymentDecider,
  type AuthorizationOutcome,
  type PaymentCommand,
  type PaymentEvent,
  type PaymentState,
  type RefundOutcome,
} from '../../domain/payment';
import {
  authorizePaymentCommand,
  fulfilmentSagaId,
  plusMs,
  refundPaymentCommand,
  sagaInputsFor,
  stepSaga,
  type DomainEvent,
  type FulfilmentEvent,
  type FulfilmentInput,
  type FulfilmentSaga,
  type FulfilmentState,
  type OutgoingCommand,
} from '../../domain/sagas';
import {
  absurd,
  fold,
  customerId,
  isAtOrAfter,
  name,
  nonNegativeInt,
  orderId,
  promotionId,
  quantity,
  reason,
  type DomainError,
  type OrderId,
  type Sku,
  type Timestamp,
} from '../../domain/shared';
import { SAVE10, T0, eur, placed, placedWithCoupon } from './fixtures';

export type AuthorizationAnswer = 'approve' | 'decline' | 'error';
export type RefundAnswer = 'ok' | 'fail';

export interface WorldSetup {
  /** units on hand per sku of the order */
  readonly stock: Readonly<Record<string, number>>;
  /** what the provider answers to the 1st, 2nd, … distinct authorization request; the last answer repeats */
  readonly authorizations: readonly AuthorizationAnswer[];
  readonly refunds: readonly RefundAnswer[];
  /** the order comes with coupon SAVE10, which has this many uses left (0: used up); absent: no coupon */
  readonly couponUses?: number;
  /** SKU A is limited to this many per customer, and the customer already holds one unit in another order */
  readonly limitOnA?: number;
}

/** The other order of the same customer, holding one unit of A when `limitOnA` is set. */
export const earlierOrder = orderId('o-0');

/**
 * The three centres (their real deciders), a provider, and a saga runner for one order, all in memory, driven
 * step by step so a test can interleave, duplicate and re-send as a real deployment might: events reach the saga
 * in order per source stream (as Kafka keeps order per partition) but the streams interleave freely.
 */
export class World {
  order: OrderState;
  readonly inventory = new Map<Sku, InventoryState>();
  readonly coupons = new Map<string, CouponState>();
  /** the order the saga fulfils: with or without a coupon */
  readonly placed: OrderPlaced;
  payment: PaymentState = paymentDecider.initialState;
  saga: FulfilmentState;
  readonly sagaEvents: FulfilmentEvent[] = [];
  /** every command the saga asked to send, re-sends included */
  readonly sent: OutgoingCommand[] = [];
  /** commands waiting to be executed by their centre */
  readonly outbox: OutgoingCommand[] = [];
  /** saga inputs waiting per source stream */
  readonly queues = new Map<string, FulfilmentInput[]>();
  readonly delivered: FulfilmentInput[] = [];
  now: Timestamp = T0;
  /** command ids that appended events: a repeat is answered from the store and changes nothing */
  private readonly recorded = new Set<string>();
  private readonly answers = new Map<string, AuthorizationOutcome | RefundOutcome>();
  private authorizationCalls = 0;
  private refundCalls = 0;

  constructor(
    private readonly sagaDecider: FulfilmentSaga,
    private readonly setup: WorldSetup,
  ) {
    this.placed = setup.couponUses === undefined ? placed : placedWithCoupon;
    this.order = fold(orderDecider, [this.placed]);
    for (const line of this.placed.lines) {
      const history: InventoryEvent[] = [
        { type: 'SkuDefined', sku: line.sku, name: name(line.sku), unitPrice: eur(1), at: T0 },
      ];
      const limited = line.sku === 'A' && setup.limitOnA !== undefined;
      const units = (setup.stock[line.sku] ?? 0) + (limited ? 1 : 0);
      if (units > 0) {
        history.push({
          type: 'StockRestocked',
          sku: line.sku,
          quantity: quantity(units),
          onHand: nonNegativeInt(units),
          at: T0,
        });
      }
      if (limited) {
        history.push(
          { type: 'PurchaseLimitSet', sku: line.sku, perCustomer: purchaseLimit(setup.limitOnA ?? 1), at: T0 },
          {
            type: 'StockReserved',
            sku: line.sku,
            orderId: earlierOrder,
            quantity: quantity(1),
            expiresAt: plusMs(T0, 3_600_000),
            available: nonNegativeInt(units - 1),
            customerId: this.placed.customerId,
            at: T0,
          },
        );
      }
      this.inventory.set(line.sku, fold(inventoryDecider, history));
    }
    if (setup.couponUses !== undefined) {
      const history: CouponEvent[] = [
        {
          type: 'CouponDefined',
          code: SAVE10,
          promotionId: promotionId('save-10'),
          totalLimit: couponTotalLimit(Math.max(1, setup.couponUses)),
          perCustomerLimit: couponPerCustomerLimit(1),
          at: T0,
        },
      ];
      // used up by someone else
      if (setup.couponUses === 0) {
        history.push({
          type: 'CouponReserved',
          code: SAVE10,
          orderId: earlierOrder,
          customerId: customerId('c-9'),
          at: T0,
        });
      }
      this.coupons.set(SAVE10, fold(couponDecider, history));
    }
    this.saga = sagaDecider.initialState;
    this.enqueue('order', this.placed);
  }

  get orderId(): OrderId {
    return this.placed.orderId;
  }

  // -------------------------------------------------------------------------------------------------------------
  // the saga runner

  deliver(input: FulfilmentInput): void {
    this.delivered.push(input);
    const step = stepSaga(this.sagaDecider, this.saga, input);
    this.saga = step.state;
    this.sagaEvents.push(...step.events);
    this.send(step.effects.commands);
  }

  /** A runner that crashed after recording the event but before (or while) sending its commands sends them again. */
  resendOutboxOf(eventIndex: number): void {
    const event = this.sagaEvents[eventIndex];
    if (event !== undefined) this.send(this.sagaDecider.outbox(event).commands);
  }

  deliverNextFrom(queueIndex: number): boolean {
    const busy = [...this.queues.entries()].filter(([, queue]) => queue.length > 0);
    const chosen = busy[queueIndex % Math.max(busy.length, 1)];
    const input = chosen?.[1].shift();
    if (input === undefined) return false;
    this.deliver(input);
    return true;
  }

  redeliver(index: number): void {
    const input = this.delivered[index % Math.max(this.delivered.length, 1)];
    if (input !== undefined) this.deliver(input);
  }

  fireEarliestDeadline(): boolean {
    const pending = [...this.sagaDecider.deadlines(this.saga)].sort(
      (a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt),
    );
    const next = pending[0];
    if (next === undefined) return false;
    if (!isAtOrAfter(this.now, next.dueAt)) this.now = next.dueAt;
    this.deliver({ type: 'DeadlineReached', deadlineId: next.deadlineId, now: this.now });
    return true;
  }

  /** The clock moves on; every deadline that falls due fires, earliest first. */
  advance(ms: number): void {
    const until = Date.parse(this.now) + ms;
    for (;;) {
      const next = [...this.sagaDecider.deadlines(this.saga)].sort(
        (a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt),
      )[0];
      if (next === undefined || Date.parse(next.dueAt) > until) break;
      this.fireEarliestDeadline();
    }
    this.now = plusMs(T0, until - Date.parse(T0));
  }

  executeCommand(index: number): boolean {
    const [command] = this.outbox.splice(index % Math.max(this.outbox.length, 1), 1);
    if (command === undefined) return false;
    this.execute(command);
    return true;
  }

  /**
   * One step towards the end: a command (the oldest waiting, or the newest: both orders happen when commands
   * run concurrently), else an input, else the next deadline; false when nothing is left.
   */
  step(order: 'oldest' | 'newest' = 'oldest'): boolean {
    const command = order === 'oldest' ? 0 : this.outbox.length - 1;
    return this.executeCommand(command) || this.deliverNextFrom(0) || this.fireEarliestDeadline();
  }

  /** Runs everything to the end; `between` runs after every step. */
  drain(between: () => void = () => undefined, order: 'oldest' | 'newest' = 'oldest'): void {
    for (let steps = 0; steps < 2_000; steps++) {
      if (!this.step(order)) return;
      between();
    }
    throw new Error('the world did not settle');
  }

  // -------------------------------------------------------------------------------------------------------------
  // people outside the saga

  customerCancels(): void {
    this.handleOrder('customer:cancel', {
      type: 'CancelOrder',
      orderId: this.orderId,
      reason: reason('changed my mind'),
      at: this.now,
    });
  }

  warehouseShips(): void {
    if (this.order.status === 'Confirmed')
      this.handleOrder('warehouse:ship', { type: 'ShipOrder', orderId: this.orderId, at: this.now });
  }

  // -------------------------------------------------------------------------------------------------------------
  // the centres behind the command layer

  private send(commands: readonly OutgoingCommand[]): void {
    this.sent.push(...commands);
    this.outbox.push(...commands);
  }

  private enqueue(stream: string, input: FulfilmentInput): void {
    const queue = this.queues.get(stream) ?? [];
    queue.push(input);
    this.queues.set(stream, queue);
  }

  private publish(stream: string, events: readonly DomainEvent[]): void {
    for (const event of events) {
      for (const routed of sagaInputsFor(event)) {
        if (routed.saga === 'fulfilment' && routed.sagaId === fulfilmentSagaId(this.orderId))
          this.enqueue(stream, routed.input);
      }
    }
  }

  private reject(commandId: string, error: DomainError): void {
    this.enqueue('rejections', { type: 'CommandRejected', commandId, code: error.code, at: this.now });
  }

  private outcome<A>(commandId: string, make: () => A): A {
    // the provider is idempotent per key: the same command id always gets the same answer
    const known = this.answers.get(commandId) as A | undefined;
    if (known !== undefined) return known;
    const answer = make();
    this.answers.set(commandId, answer as AuthorizationOutcome | RefundOutcome);
    return answer;
  }

  private pick<A>(answers: readonly A[], call: number, fallback: A): A {
    return answers[Math.min(call, answers.length - 1)] ?? fallback;
  }

  private handleOrder(commandId: string, command: OrderCommand): void {
    if (this.recorded.has(commandId)) return;
    const decision = orderDecider.decide(command, this.order);
    if (E.isLeft(decision)) {
      this.reject(commandId, decision.left);
      return;
    }
    if (decision.right.length > 0) this.recorded.add(commandId);
    this.order = decision.right.reduce<OrderState>(orderDecider.evolve, this.order);
    this.publish('order', decision.right satisfies readonly OrderEvent[]);
  }

  private handlePayment(commandId: string, command: PaymentCommand): void {
    const decision = paymentDecider.decide(command, this.payment);
    if (E.isLeft(decision)) {
      this.reject(commandId, decision.left);
      return;
    }
    if (decision.right.length > 0) this.recorded.add(commandId);
    this.payment = decision.right.reduce<PaymentState>(paymentDecider.evolve, this.payment);
    this.publish('payment', decision.right satisfies readonly PaymentEvent[]);
  }

  private execute(outgoing: OutgoingCommand): void {
    const { commandId } = outgoing;
    if (this.recorded.has(commandId)) return;
    switch (outgoing.target) {
      case 'order':
        this.handleOrder(commandId, outgoing.command);
        return;
      case 'inventory': {
        const sku = outgoing.command.sku;
        const state = this.inventory.get(sku) ?? inventoryDecider.initialState;
        const decision = inventoryDecider.decide(outgoing.command, state);
        if (E.isLeft(decision)) {
          this.reject(commandId, decision.left);
          return;
        }
        if (decision.right.length > 0) this.recorded.add(commandId);
        this.inventory.set(sku, decision.right.reduce<InventoryState>(inventoryDecider.evolve, state));
        this.publish(`sku-${sku}`, decision.right);
        return;
      }
      case 'coupon': {
        const code = outgoing.command.code;
        const state = this.coupons.get(code) ?? couponDecider.initialState;
        const decision = couponDecider.decide(outgoing.command, state);
        if (E.isLeft(decision)) {
          this.reject(commandId, decision.left);
          return;
        }
        if (decision.right.length > 0) this.recorded.add(commandId);
        this.coupons.set(code, decision.right.reduce<CouponState>(couponDecider.evolve, state));
        this.publish(`coupon-${code}`, decision.right);
        return;
      }
      case 'payment': {
        const command = outgoing.command;
        switch (command.type) {
          case 'AuthorizePaymentRequest': {
            // the runner checks before asking the provider, so a refused command never charges the card
            const verdict = canAuthorize(this.payment, command.amount, command.orderId, command.part);
            if (E.isLeft(verdict)) {
              this.reject(commandId, verdict.left);
              return;
            }
            if (verdict.right === 'already_authorized') return;
            const outcome = this.outcome(commandId, (): AuthorizationOutcome => {
              const answer = this.pick(this.setup.authorizations, this.authorizationCalls++, 'approve');
              if (answer === 'approve')
                return { result: 'approved', authorizationId: `auth_${this.authorizationCalls}` };
              if (answer === 'decline') return { result: 'declined', declineCode: 'card_declined' };
              return { result: 'provider_error', message: 'gateway timeout' };
            });
            this.handlePayment(commandId, authorizePaymentCommand(command, outcome));
            return;
          }
          case 'RefundPaymentRequest': {
            const verdict = canRefund(this.payment, command.refundId, command.amount, command.orderId);
            if (E.isLeft(verdict)) {
              this.reject(commandId, verdict.left);
              return;
            }
            if (verdict.right === 'already_refunded') return;
            if (isCashPayment(this.payment)) {
              this.handlePayment(commandId, refundPaymentCommand(command, { result: 'refunded_in_cash' }));
              return;
            }
            const outcome = this.outcome(commandId, (): RefundOutcome => {
              const answer = this.pick(this.setup.refunds, this.refundCalls++, 'ok');
              return answer === 'ok'
                ? { result: 'refunded', providerRefundId: `re_${this.refundCalls}` }
                : { result: 'failed', message: 'provider unavailable' };
            });
            this.handlePayment(commandId, refundPaymentCommand(command, outcome));
            return;
          }
          case 'AuthorizePayment':
          case 'CapturePayment':
          case 'VoidPayment':
          case 'RefundPayment':
          case 'RecordCashPayment':
            this.handlePayment(commandId, command);
            return;
          default:
            return absurd(command);
        }
      }
      default:
        return absurd(outgoing);
    }
  }
}

/** Units of `sku` this order still holds in an open reservation. */
export const heldBy = (state: InventoryState | undefined, orderId: OrderId): number =>
  state?.status === 'Active' ? (state.open.get(orderId)?.quantity ?? 0) : 0;

export const closedAs = (state: InventoryState | undefined, orderId: OrderId): string | undefined =>
  state?.status === 'Active' ? state.closed.get(orderId) : undefined;

/** What the order holds of the coupon: reserved, redeemed, released, or nothing. */
export const couponHeldBy = (state: CouponState | undefined, orderId: OrderId): string | undefined =>
  state?.status === 'Active' ? state.orders.get(orderId)?.status : undefined;

/** Units of `sku` that count towards the customer's purchase limit for this order. */
export const countedFor = (state: InventoryState | undefined, orderId: OrderId): number =>
  state?.status === 'Active' ? (state.purchaseLimit?.counted.get(orderId)?.units ?? 0) : 0;
