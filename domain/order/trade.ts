import type * as E from 'fp-ts/Either';
import {
  absurd,
  accept,
  isAtOrAfter,
  money,
  nonNegativeInt,
  reason,
  reject,
  zero,
  type Money,
  type Timestamp,
} from '../shared';
import type {
  CancelOrder,
  CompleteRefund,
  ConfirmOrder,
  DeliverOrder,
  FailRefund,
  PayBalance,
  RecordDeposit,
  RefuseDelivery,
  RequestRefund,
  ShipOrder,
  TradeCommand,
} from './commands';
import { channelOf } from './state';
import { orderError, type OrderError } from './errors';
import type { BalanceRequested, DeliveryRefused, DepositPaid, OrderDelivered, OrderEvent } from './events';
import type {
  AwaitingBalanceOrder,
  CancelledOrder,
  OrderState,
  PaidOrder,
  PaidOrderData,
  PlacedOrderData,
} from './state';
import type { PresaleTerms } from './values';

/**
 * The pre-sale and cash-on-delivery trade types in the order centre. Which rules apply is the order's own frozen
 * `tradeType` and `terms` (from its channel at placement), never the channel itself.
 *
 *   pre-sale:         Placed ─DepositPaid→ AwaitingBalance ─(BalanceRequested…)─ OrderConfirmed→ Confirmed → Shipped …
 *   cash on delivery: Placed ─OrderConfirmed (paid 0)→ Confirmed [─Shipped] ─OrderDelivered→ Delivered → refunds …
 *                                                         └────────────────── DeliveryRefused→ Cancelled
 */

type Decision = E.Either<OrderError, readonly OrderEvent[]>;

const noEvents = (): Decision => accept<OrderEvent>();

/** What a refused delivery leaves as the cancelled order's reason. */
export const deliveryRefusedReason = reason('delivery_refused');

export const isTradeCommand = (command: { readonly type: string }): command is TradeCommand =>
  command.type === 'RecordDeposit' ||
  command.type === 'PayBalance' ||
  command.type === 'DeliverOrder' ||
  command.type === 'RefuseDelivery';

const sameMoney = (a: Money, b: Money): boolean => a.amount === b.amount && a.currency === b.currency;

const show = (m: Money): string => `${m.amount} ${m.currency}`;

const presaleTermsOf = (state: PlacedOrderData): PresaleTerms | undefined =>
  state.tradeType === 'presale' ? state.terms?.presale : undefined;

const notPresale = (state: PlacedOrderData): Decision =>
  reject(
    orderError('NotAPresale', `order ${state.orderId} is a ${state.tradeType} order, not a pre-sale`, {
      orderId: state.orderId,
      tradeType: state.tradeType,
    }),
  );

const notCod = (state: PlacedOrderData): Decision =>
  reject(
    orderError('NotCashOnDelivery', `order ${state.orderId} is a ${state.tradeType} order, not cash on delivery`, {
      orderId: state.orderId,
      tradeType: state.tradeType,
    }),
  );

const cancelledAlready = (state: CancelledOrder): Decision =>
  reject(orderError('OrderCancelled', `order ${state.orderId} was cancelled`, { orderId: state.orderId }));

const notConfirmed = (state: PlacedOrderData, message: string): Decision =>
  reject(orderError('OrderNotConfirmed', message, { orderId: state.orderId }));

const delivered = (state: PlacedOrderData): Decision =>
  reject(
    orderError('OrderAlreadyDelivered', `order ${state.orderId} was delivered; request a refund instead`, {
      orderId: state.orderId,
    }),
  );

const isDelivered = (state: PaidOrder): boolean =>
  state.status === 'Delivered' || state.status === 'Refunded' || state.status === 'PartiallyRefunded';

// ---------------------------------------------------------------------------------------------------------------
// pre-sale

const recordDeposit = (command: RecordDeposit, state: Exclude<OrderState, { status: 'None' }>): Decision => {
  if (presaleTermsOf(state) === undefined) return notPresale(state);
  switch (state.status) {
    case 'Placed': {
      const { paid } = command;
      if (paid.currency !== state.currency) {
        return reject(
          orderError('CurrencyMismatch', `the order is in ${state.currency}, the deposit in ${paid.currency}`, {
            expected: state.currency,
            actual: paid.currency,
          }),
        );
      }
      if (paid.amount === 0 || paid.amount >= state.total.amount) {
        return reject(
          orderError(
            'DepositOutOfRange',
            `a deposit is more than nothing and less than the total (${show(state.total)})`,
            {
              deposit: paid.amount,
              total: state.total.amount,
            },
          ),
        );
      }
      const event: DepositPaid = { type: 'DepositPaid', orderId: state.orderId, amount: paid, at: command.at };
      return accept(event);
    }
    case 'AwaitingBalance':
      return sameMoney(state.deposit, command.paid)
        ? noEvents()
        : reject(
            orderError('DepositAlreadyPaid', `a deposit of ${show(state.deposit)} was already recorded`, {
              deposit: state.deposit,
            }),
          );
    // a re-sent record after the balance was paid: the deposit is part of what was paid
    case 'Confirmed':
    case 'PartiallyShipped':
    case 'Shipped':
    case 'PartiallyRefunded':
    case 'Refunded':
    case 'Delivered':
      return noEvents();
    case 'Cancelled':
      return cancelledAlready(state);
    default:
      return absurd(state);
  }
};

/** The balance window of the order's terms: [balanceFrom, balanceUntil). */
const windowProblem = (terms: PresaleTerms, at: Timestamp, state: AwaitingBalanceOrder): OrderError | undefined => {
  const window = { orderId: state.orderId, balanceFrom: terms.balanceFrom, balanceUntil: terms.balanceUntil, at };
  if (!isAtOrAfter(at, terms.balanceFrom)) {
    return orderError('BalanceWindowNotOpen', `the balance can be paid from ${terms.balanceFrom}`, window);
  }
  if (isAtOrAfter(at, terms.balanceUntil)) {
    return orderError('BalanceWindowClosed', `the balance could be paid until ${terms.balanceUntil}`, window);
  }
  return undefined;
};

const payBalance = (command: PayBalance, state: Exclude<OrderState, { status: 'None' }>): Decision => {
  const terms = presaleTermsOf(state);
  if (terms === undefined) return notPresale(state);
  switch (state.status) {
    case 'Placed':
      return reject(
        orderError('DepositNotPaid', `the deposit of order ${state.orderId} is not paid yet`, {
          orderId: state.orderId,
        }),
      );
    case 'AwaitingBalance': {
      const problem = windowProblem(terms, command.at, state);
      if (problem) return reject(problem);
      const event: BalanceRequested = {
        type: 'BalanceRequested',
        orderId: state.orderId,
        amount: money(state.total.amount - state.deposit.amount, state.currency),
        paymentToken: command.paymentToken,
        attempt: nonNegativeInt(state.balanceRequests + 1),
        at: command.at,
      };
      return accept(event);
    }
    case 'Confirmed':
    case 'PartiallyShipped':
    case 'Shipped':
    case 'PartiallyRefunded':
    case 'Refunded':
    case 'Delivered':
      return reject(
        orderError('BalanceAlreadyPaid', `the balance of order ${state.orderId} is paid`, { orderId: state.orderId }),
      );
    case 'Cancelled':
      return cancelledAlready(state);
    default:
      return absurd(state);
  }
};

// ---------------------------------------------------------------------------------------------------------------
// cash on delivery

const deliver = (command: DeliverOrder, state: Exclude<OrderState, { status: 'None' }>): Decision => {
  if (state.tradeType !== 'cod') return notCod(state);
  switch (state.status) {
    case 'Placed':
    case 'AwaitingBalance':
      return notConfirmed(state, `order ${state.orderId} is not confirmed yet: its stock is not reserved`);
    case 'Confirmed':
    case 'PartiallyShipped':
    case 'Shipped': {
      const { collected } = command;
      if (!sameMoney(collected, state.total)) {
        return reject(
          orderError(
            'CollectedAmountMismatch',
            `the courier must collect the order's total ${show(state.total)}, not ${show(collected)}`,
            { total: state.total, collected },
          ),
        );
      }
      const event: OrderDelivered = { type: 'OrderDelivered', orderId: state.orderId, collected, at: command.at };
      return accept(event);
    }
    case 'Delivered':
    case 'PartiallyRefunded':
    case 'Refunded':
      // the same delivery reported again is a repeat; another amount contradicts the cash recorded
      return sameMoney(command.collected, state.paid) ? noEvents() : delivered(state);
    case 'Cancelled':
      return cancelledAlready(state);
    default:
      return absurd(state);
  }
};

const refuseDelivery = (command: RefuseDelivery, state: Exclude<OrderState, { status: 'None' }>): Decision => {
  if (state.tradeType !== 'cod') return notCod(state);
  switch (state.status) {
    case 'Placed':
    case 'AwaitingBalance':
      return notConfirmed(state, `order ${state.orderId} is not confirmed yet: it cannot be out for delivery`);
    case 'Confirmed':
    case 'PartiallyShipped':
    case 'Shipped': {
      const event: DeliveryRefused = {
        type: 'DeliveryRefused',
        orderId: state.orderId,
        reason: command.reason,
        ...(state.pricing === null ? {} : { pricing: state.pricing }),
        ...channelOf(state),
        at: command.at,
      };
      return accept(event);
    }
    case 'Delivered':
    case 'PartiallyRefunded':
    case 'Refunded':
      return delivered(state);
    case 'Cancelled':
      return state.reason === deliveryRefusedReason ? noEvents() : cancelledAlready(state);
    default:
      return absurd(state);
  }
};

/** The trade types' own commands, on any order state. */
export const decideTrade = (command: TradeCommand, state: OrderState): Decision => {
  if (state.status === 'None') {
    return reject(orderError('OrderNotFound', `order ${command.orderId} does not exist`, { orderId: command.orderId }));
  }
  switch (command.type) {
    case 'RecordDeposit':
      return recordDeposit(command, state);
    case 'PayBalance':
      return payBalance(command, state);
    case 'DeliverOrder':
      return deliver(command, state);
    case 'RefuseDelivery':
      return refuseDelivery(command, state);
    default:
      return absurd(command);
  }
};

/** Confirmation with nothing paid: a cash-on-delivery order is paid at the door. */
export const confirmsWithoutPayment = (state: PlacedOrderData, command: ConfirmOrder): boolean =>
  state.tradeType === 'cod' && command.paid.amount === 0;

/** A COD order's confirmation re-sent after delivery: it was confirmed with nothing paid, the cash came later. */
export const isRepeatedCodConfirmation = (state: PaidOrder, command: ConfirmOrder): boolean =>
  state.tradeType === 'cod' && command.paid.amount === 0 && isDelivered(state);

/** The standard commands on a pre-sale waiting for its balance. */
export const decideAwaitingBalance = (
  command: ConfirmOrder | ShipOrder | CancelOrder | RequestRefund | CompleteRefund | FailRefund,
  state: AwaitingBalanceOrder,
  cancelled: (command: CancelOrder, wasPaid: Money, state: PlacedOrderData) => Decision,
): Decision => {
  switch (command.type) {
    case 'ConfirmOrder': {
      const { paid } = command;
      if (paid.currency !== state.currency || paid.amount <= state.deposit.amount || paid.amount > state.total.amount) {
        return reject(
          orderError(
            'PaymentExceedsTotal',
            `a pre-sale is confirmed with deposit and balance paid: more than ${show(state.deposit)}, ` +
              `at most ${show(state.total)}; got ${show(paid)}`,
            { paid, deposit: state.deposit, total: state.total },
          ),
        );
      }
      return accept<OrderEvent>({
        type: 'OrderConfirmed',
        orderId: state.orderId,
        paid,
        ...channelOf(state),
        at: command.at,
      });
    }
    case 'ShipOrder':
      return notConfirmed(state, 'a pre-sale ships once its balance is paid');
    case 'CancelOrder':
      // the saga decides what becomes of the deposit (refunded, or kept when the balance came too late)
      return cancelled(command, state.deposit, state);
    case 'RequestRefund':
      return notConfirmed(state, 'the balance is not paid yet: cancel the order instead of refunding it');
    case 'CompleteRefund':
    case 'FailRefund':
      return reject(
        orderError('RefundNotFound', `no refund ${command.refundId} on order ${state.orderId}`, {
          refundId: command.refundId,
        }),
      );
    default:
      return absurd(command);
  }
};

// ---------------------------------------------------------------------------------------------------------------
// evolve

export type TradeEvent = DepositPaid | BalanceRequested | OrderDelivered | DeliveryRefused;

export interface StateParts {
  readonly placedDataOf: (state: PlacedOrderData) => PlacedOrderData;
  readonly paidDataOf: (state: PaidOrderData) => PaidOrderData;
}

export const evolveTrade = (state: OrderState, event: TradeEvent, parts: StateParts): OrderState => {
  switch (event.type) {
    case 'DepositPaid':
      return state.status === 'Placed'
        ? {
            ...parts.placedDataOf(state),
            status: 'AwaitingBalance',
            deposit: event.amount,
            depositPaidAt: event.at,
            balanceRequests: 0,
          }
        : state;
    case 'BalanceRequested':
      return state.status === 'AwaitingBalance' ? { ...state, balanceRequests: event.attempt } : state;
    case 'OrderDelivered':
      return state.status === 'Confirmed' || state.status === 'Shipped' || state.status === 'PartiallyShipped'
        ? {
            ...parts.paidDataOf(state),
            status: 'Delivered',
            paid: event.collected,
            shippedAt: state.status === 'Confirmed' ? null : state.shippedAt,
            deliveredAt: event.at,
          }
        : state;
    case 'DeliveryRefused':
      return state.status === 'Confirmed' || state.status === 'Shipped' || state.status === 'PartiallyShipped'
        ? {
            ...parts.placedDataOf(state),
            status: 'Cancelled',
            reason: deliveryRefusedReason,
            wasPaid: zero(state.currency),
            cancelledAt: event.at,
          }
        : state;
    default:
      return absurd(event);
  }
};
