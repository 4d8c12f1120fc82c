import { expect } from 'chai';
import * as fc from 'fast-check';
import * as E from 'fp-ts/Either';
import {
  currency,
  customerId,
  money,
  orderId,
  quantity,
  reason,
  refundId,
  sku,
  timestamp,
  type Currency,
  type RefundId,
  type Sku,
} from '../../domain/shared';
import {
  orderDecider,
  orderErrorCategories,
  orderEvents,
  paymentToken,
  type OrderCommand,
  type OrderEvent,
  type OrderState,
  type PaidOrder,
  type PlaceOrder,
  type RequestRefund,
} from '../../domain/order';

const EUR = currency('EUR');
const USD = currency('USD');
const id = orderId('o-1');
const skus: readonly Sku[] = ['A', 'B', 'C', 'D'].map((s) => sku(s));
const refundIds: readonly RefundId[] = ['r-1', 'r-2', 'r-3'].map((r) => refundId(r));
const at = timestamp('2026-01-01T00:00:00.000Z');

/** Commands are generated as intents; a few are resolved against the current state so deep states are reachable. */
type Intent =
  | { readonly kind: 'place'; readonly command: PlaceOrder }
  /** `percent` of the total is captured: above 100 overpays, 0 pays nothing */
  | { readonly kind: 'confirm'; readonly percent: number; readonly currency: Currency }
  | { readonly kind: 'ship' }
  | { readonly kind: 'cancel' }
  | {
      readonly kind: 'refund';
      readonly refundId: RefundId;
      readonly lines: readonly { readonly sku: Sku; readonly quantity: number }[] | undefined;
      /** percent of the amount paid, so refunds by amount land on both sides of what remains */
      readonly amountPercent: number | undefined;
      readonly currency: Currency;
      readonly restock: boolean;
    }
  | { readonly kind: 'complete'; readonly refundId: RefundId }
  | { readonly kind: 'fail'; readonly refundId: RefundId };

/** A `valid` placement always succeeds; otherwise it may be empty, free or priced in the wrong currency. */
const placeArb = (valid: boolean): fc.Arbitrary<PlaceOrder> =>
  fc
    .record({
      customer: fc.constantFrom('c-1', 'c-2'),
      lines: fc.uniqueArray(
        fc.record({
          sku: fc.constantFrom(...skus),
          quantity: fc.integer({ min: 1, max: 5 }),
          price: fc.integer({ min: valid ? 1 : 0, max: 2000 }),
          foreign: valid ? fc.constant(false) : fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
        }),
        { minLength: valid ? 1 : 0, maxLength: 4, selector: (l) => l.sku },
      ),
    })
    .map(({ customer, lines }) => ({
      type: 'PlaceOrder',
      orderId: id,
      customerId: customerId(customer),
      currency: EUR,
      lines: lines.map((l) => ({
        sku: l.sku,
        quantity: quantity(l.quantity),
        unitPrice: money(l.price, l.foreign ? USD : EUR),
      })),
      paymentToken: paymentToken('tok_visa'),
      at,
    }));

const currencyArb = fc.oneof({ weight: 9, arbitrary: fc.constant(EUR) }, { weight: 1, arbitrary: fc.constant(USD) });

const refundLinesArb = fc.uniqueArray(
  fc.record({ sku: fc.constantFrom(...skus), quantity: fc.integer({ min: 1, max: 6 }) }),
  { maxLength: 4, selector: (l) => l.sku },
);
const refundAmountArb = fc.integer({ min: 0, max: 110 });

const intentArb: fc.Arbitrary<Intent> = fc.oneof(
  { weight: 1, arbitrary: placeArb(false).map((command): Intent => ({ kind: 'place', command })) },
  {
    weight: 3,
    arbitrary: fc
      .record({
        percent: fc.oneof(
          { weight: 2, arbitrary: fc.constant(100) },
          { weight: 3, arbitrary: fc.integer({ min: 0, max: 110 }) },
        ),
        currency: currencyArb,
      })
      .map((c): Intent => ({ kind: 'confirm', ...c })),
  },
  { weight: 2, arbitrary: fc.constant<Intent>({ kind: 'ship' }) },
  { weight: 1, arbitrary: fc.constant<Intent>({ kind: 'cancel' }) },
  {
    weight: 6,
    arbitrary: fc
      .record({
        refundId: fc.constantFrom(...refundIds),
        // whole order, some lines, an amount, or (rarely) both
        scope: fc.oneof(
          { weight: 3, arbitrary: fc.constant({ lines: undefined, amountPercent: undefined }) },
          { weight: 4, arbitrary: refundLinesArb.map((lines) => ({ lines, amountPercent: undefined })) },
          { weight: 3, arbitrary: refundAmountArb.map((amountPercent) => ({ lines: undefined, amountPercent })) },
          { weight: 1, arbitrary: fc.record({ lines: refundLinesArb, amountPercent: refundAmountArb }) },
        ),
        currency: currencyArb,
        restock: fc.boolean(),
      })
      .map(({ scope, ...r }): Intent => ({ kind: 'refund', ...r, ...scope })),
  },
  {
    weight: 5,
    arbitrary: fc.constantFrom(...refundIds).map((r): Intent => ({ kind: 'complete', refundId: r })),
  },
  { weight: 2, arbitrary: fc.constantFrom(...refundIds).map((r): Intent => ({ kind: 'fail', refundId: r })) },
);

const isPaid = (state: OrderState): state is PaidOrder =>
  state.status === 'Confirmed' ||
  state.status === 'Shipped' ||
  state.status === 'PartiallyRefunded' ||
  state.status === 'Refunded';

const toCommand = (intent: Intent, state: OrderState): OrderCommand => {
  switch (intent.kind) {
    case 'place':
      return intent.command;
    case 'confirm': {
      const total = state.status === 'None' ? 1000 : state.total.amount;
      return {
        type: 'ConfirmOrder',
        orderId: id,
        paid: money(Math.round((total * intent.percent) / 100), intent.currency),
        at,
      };
    }
    case 'ship':
      return { type: 'ShipOrder', orderId: id, at };
    case 'cancel':
      return { type: 'CancelOrder', orderId: id, reason: reason('changed mind'), at };
    case 'refund': {
      const paid = isPaid(state) ? state.paid.amount : 1000;
      const command: RequestRefund = {
        type: 'RequestRefund',
        orderId: id,
        refundId: intent.refundId,
        reason: reason('damaged'),
        restock: intent.restock,
        at,
        ...(intent.lines === undefined
          ? {}
          : { lines: intent.lines.map((l) => ({ sku: l.sku, quantity: quantity(l.quantity) })) }),
        ...(intent.amountPercent === undefined
          ? {}
          : { amount: money(Math.round((paid * intent.amountPercent) / 100), intent.currency) }),
      };
      return command;
    }
    case 'complete':
      return { type: 'CompleteRefund', orderId: id, refundId: intent.refundId, at };
    case 'fail':
      return { type: 'FailRefund', orderId: id, refundId: intent.refundId, reason: reason('declined'), at };
  }
};

const sumBy = <T>(items: Iterable<T>, value: (item: T) => number): number => {
  let total = 0;
  for (const item of items) total += value(item);
  return total;
};

/** The money and stock invariants, checked on every state a run passes through. */
const checkInvariants = (state: OrderState): void => {
  if (state.status === 'None') return;
  for (const line of state.lines) {
    expect(line.lineTotal.amount).to.equal(line.unitPrice.amount * line.quantity);
    expect(line.unitPrice.currency).to.equal(state.currency);
  }
  expect(state.total.amount).to.equal(sumBy(state.lines, (l) => l.lineTotal.amount));
  expect(state.total.amount).to.be.greaterThan(0);

  if (state.status === 'Cancelled') {
    expect(state.wasPaid.amount).to.be.at.most(state.total.amount);
    return;
  }
  if (!isPaid(state)) return;

  // refunded + pending ≤ paid ≤ total
  expect(state.paid.currency).to.equal(state.currency);
  expect(state.paid.amount).to.be.greaterThan(0);
  expect(state.refunded.amount + state.pending.amount).to.be.at.most(state.paid.amount);
  expect(state.paid.amount).to.be.at.most(state.total.amount);

  const records = [...state.refunds.values()];
  expect(state.pending.amount).to.equal(
    sumBy(
      records.filter((r) => r.status === 'Pending'),
      (r) => r.amount.amount,
    ),
  );
  expect(state.refunded.amount).to.equal(
    sumBy(
      records.filter((r) => r.status === 'Completed'),
      (r) => r.amount.amount,
    ),
  );
  expect(state.status === 'Refunded').to.equal(
    state.refunded.amount === state.paid.amount && state.refunded.amount > 0,
  );

  // refunded quantities ≤ requested quantities ≤ ordered, per sku
  for (const [s, count] of state.requestedQuantities) {
    const ordered = state.lines.find((l) => l.sku === s);
    expect(ordered, `requested units of ${s} that is not on the order`).to.not.equal(undefined);
    expect(count).to.be.at.most(ordered?.quantity ?? 0);
    expect(count).to.equal(
      sumBy(
        records.filter((r) => r.status !== 'Failed'),
        (r) =>
          sumBy(
            r.lines.filter((l) => l.sku === s),
            (l) => l.quantity,
          ),
      ),
    );
  }
  for (const [s, count] of state.refundedQuantities) {
    expect(count).to.be.greaterThan(0);
    expect(count).to.be.at.most(state.requestedQuantities.get(s) ?? 0);
    expect(count).to.be.at.most(state.lines.find((l) => l.sku === s)?.quantity ?? 0);
  }
};

interface Step {
  readonly command: OrderCommand;
  readonly before: OrderState;
  readonly result: E.Either<{ readonly code: string; readonly category: string }, readonly OrderEvent[]>;
  readonly after: OrderState;
}

/** Runs the intents from an empty stream, ignoring rejected commands, and reports every step. */
const run = (intents: readonly Intent[], onStep: (step: Step) => void): OrderState =>
  intents.reduce<OrderState>((state, intent) => {
    const command = toCommand(intent, state);
    const result = orderDecider.decide(command, state);
    const after = E.isRight(result) ? result.right.reduce(orderDecider.evolve, state) : state;
    onStep({ command, before: state, result, after });
    return after;
  }, orderDecider.initialState);

const runs = fc
  .tuple(placeArb(true), fc.array(intentArb, { minLength: 5, maxLength: 40, size: 'medium' }))
  .map(([place, rest]): Intent[] => [{ kind: 'place', command: place }, ...rest]);

const numRuns = 300;

describe('the order decider under random command sequences', () => {
  it('keeps refunded + pending ≤ paid ≤ total and refunded units ≤ ordered units', () => {
    fc.assert(
      fc.property(runs, (intents) => {
        run(intents, ({ after }) => {
          checkInvariants(after);
        });
      }),
      { numRuns },
    );
  });

  it('never changes a cancelled order again', () => {
    fc.assert(
      fc.property(runs, (intents) => {
        run(intents, ({ before, result, after }) => {
          if (before.status !== 'Cancelled') return;
          if (E.isRight(result)) expect(result.right).to.deep.equal([]);
          expect(after).to.deep.equal(before);
        });
      }),
      { numRuns },
    );
  });

  it('answers every accepted command, when repeated at once, with no new events', () => {
    fc.assert(
      fc.property(runs, (intents) => {
        run(intents, ({ command, result, after }) => {
          if (E.isLeft(result)) return;
          expect(orderDecider.decide(command, after)).to.deep.equal(E.right([]));
        });
      }),
      { numRuns },
    );
  });

  it('rejects only with the fixed category of each error code', () => {
    fc.assert(
      fc.property(runs, (intents) => {
        run(intents, ({ result }) => {
          if (E.isRight(result)) return;
          const known = Object.entries(orderErrorCategories).find(([code]) => code === result.left.code);
          expect(known, `unlisted error code ${result.left.code}`).to.not.equal(undefined);
          expect(result.left.category).to.equal(known?.[1]);
        });
      }),
      { numRuns },
    );
  });

  it('stores every event it produces so that it reads back the same and folds to the same state', () => {
    fc.assert(
      fc.property(runs, (intents) => {
        const produced: OrderEvent[] = [];
        const final = run(intents, ({ result }) => {
          if (E.isRight(result)) produced.push(...result.right);
        });
        const reread = produced.map((event) => {
          const stored = orderEvents.encode(event);
          const decoded = orderEvents.decode({ type: stored.type, data: JSON.parse(JSON.stringify(stored.data)) });
          if (E.isLeft(decoded)) return expect.fail(decoded.left);
          expect(decoded.right).to.deep.equal(event);
          return decoded.right;
        });
        expect(reread.reduce(orderDecider.evolve, orderDecider.initialState)).to.deep.equal(final);
      }),
      { numRuns },
    );
  });

  it('reaches every status in a fair share of runs, so the checks above see them all', () => {
    const runsReaching = new Map<OrderState['status'], number>();
    fc.assert(
      fc.property(runs, (intents) => {
        const seen = new Set<OrderState['status']>();
        run(intents, ({ after }) => seen.add(after.status));
        for (const status of seen) runsReaching.set(status, (runsReaching.get(status) ?? 0) + 1);
      }),
      { numRuns },
    );
    for (const status of ['Placed', 'Confirmed', 'Shipped', 'PartiallyRefunded', 'Refunded', 'Cancelled'] as const) {
      expect(runsReaching.get(status) ?? 0, `runs reaching ${status}`).to.be.at.least(numRuns / 40);
    }
  });
});
