import { expect } from 'chai';
import * as fc from 'fast-check';
import * as E from 'fp-ts/Either';
import {
  currency,
  customerId,
  money,
  name,
  promotionId,
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

/**
 * A `valid` placement always succeeds; otherwise it may be empty, free or priced in the wrong currency. Some orders
 * carry promotions: a discount per line (a share of its list total, never all of it on a valid order) explained by a
 * price breakdown of two promotions.
 */
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
          /** per mille of the line's list total taken off */
          discount: fc.integer({ min: 0, max: 999 }),
        }),
        { minLength: valid ? 1 : 0, maxLength: 4, selector: (l) => l.sku },
      ),
      promoted: fc.boolean(),
    })
    .map(({ customer, lines, promoted }): PlaceOrder => {
      const priced = lines.map((l) => {
        const discount = promoted ? Math.floor((l.price * l.quantity * l.discount) / 1000) : 0;
        return {
          sku: l.sku,
          quantity: quantity(l.quantity),
          unitPrice: money(l.price, l.foreign ? USD : EUR),
          ...(discount > 0 ? { discount: money(discount, EUR) } : {}),
        };
      });
      const listTotal = lines.reduce((sum, l) => sum + l.price * l.quantity, 0);
      const discount = priced.reduce((sum, l) => sum + (l.discount?.amount ?? 0), 0);
      const half = Math.floor(discount / 2);
      return {
        type: 'PlaceOrder',
        orderId: id,
        customerId: customerId(customer),
        currency: EUR,
        lines: priced,
        paymentToken: paymentToken('tok_visa'),
        ...(promoted
          ? {
              pricing: {
                listTotal: money(listTotal, EUR),
                discount: money(discount, EUR),
                promotions: [
                  { promotionId: promotionId('p-1'), name: name('Spring'), amount: money(half, EUR), viaCoupon: false },
                  {
                    promotionId: promotionId('p-2'),
                    name: name('Tees'),
                    amount: money(discount - half, EUR),
                    viaCoupon: false,
                  },
                ],
              },
            }
          : {}),
        at,
      };
    });

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
    expect(line.lineTotal.amount).to.equal(line.unitPrice.amount * line.quantity - (line.discount?.amount ?? 0));
    expect(line.lineTotal.amount).to.be.at.least(0);
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
  // every unit of a line is held by at most one refund that has not failed, and the refund holds its line's units
  for (const line of state.lines) {
    const held = new Set<number>();
    for (const record of records.filter((r) => r.status !== 'Failed')) {
      const units = record.units.filter((u) => u.sku === line.sku).flatMap((u) => u.ranges);
      const count = sumBy(units, ([from, to]) => to - from);
      expect(count, `units of ${line.sku} held by ${record.refundId}`).to.equal(
        sumBy(
          record.lines.filter((l) => l.sku === line.sku),
          (l) => l.quantity,
        ),
      );
      for (const [from, to] of units) {
        for (let unit = from; unit < to; unit++) {
          expect(held.has(unit), `unit ${unit} of ${line.sku} refunded twice`).to.equal(false);
          expect(unit).to.be.below(line.quantity);
          held.add(unit);
        }
      }
    }
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

describe('refunding a discounted line unit by unit', () => {
  const line = sku('A');

  /** One line of `units` at `unitPrice`, `discount` off, confirmed with the whole total paid. */
  const paidOrder = (units: number, unitPrice: number, discount: number): OrderState => {
    const listTotal = units * unitPrice;
    const discounted = discount > 0;
    const place: PlaceOrder = {
      type: 'PlaceOrder',
      orderId: id,
      customerId: customerId('c-1'),
      currency: EUR,
      lines: [
        {
          sku: line,
          quantity: quantity(units),
          unitPrice: money(unitPrice, EUR),
          ...(discounted ? { discount: money(discount, EUR) } : {}),
        },
      ],
      paymentToken: paymentToken('tok_visa'),
      ...(discounted
        ? {
            pricing: {
              listTotal: money(listTotal, EUR),
              discount: money(discount, EUR),
              promotions: [
                { promotionId: promotionId('p-1'), name: name('Sale'), amount: money(discount, EUR), viaCoupon: false },
              ],
            },
          }
        : {}),
      at,
    };
    let state = orderDecider.initialState;
    for (const command of [place, { type: 'ConfirmOrder', orderId: id, paid: money(listTotal - discount, EUR), at }]) {
      const result = orderDecider.decide(command as OrderCommand, state);
      if (E.isLeft(result)) return expect.fail(result.left.message);
      state = result.right.reduce(orderDecider.evolve, state);
    }
    return state;
  };

  const scenario = fc
    .record({ units: fc.integer({ min: 1, max: 12 }), unitPrice: fc.integer({ min: 1, max: 999 }) })
    .chain(({ units, unitPrice }) =>
      fc.record({
        units: fc.constant(units),
        unitPrice: fc.constant(unitPrice),
        discount: fc.integer({ min: 0, max: units * unitPrice - 1 }),
        /** refunds of 1..3 units; `fails` ones are given up and their units refunded again later */
        chunks: fc.array(fc.record({ units: fc.integer({ min: 1, max: 3 }), fails: fc.boolean() }), {
          minLength: 1,
          maxLength: 30,
        }),
      }),
    );

  it('returns per unit what the unit was paid, and all refunds of the line sum to its total', () => {
    fc.assert(
      fc.property(scenario, ({ units, unitPrice, discount, chunks }) => {
        let state = paidOrder(units, unitPrice, discount);
        const lineTotal = units * unitPrice - discount;
        const share = Math.floor(lineTotal / units);
        let refunded = 0;
        let unitsRefunded = 0;
        const apply = (command: OrderCommand): readonly OrderEvent[] => {
          const result = orderDecider.decide(command, state);
          if (E.isLeft(result)) return expect.fail(`${command.type}: ${result.left.message}`);
          state = result.right.reduce(orderDecider.evolve, state);
          return result.right;
        };
        // rounds of refunds pending together, each then failed or completed (failures leave gaps among the units
        // held), then whatever is left, until every unit came back
        const plan = [...chunks, { units, fails: false }];
        let n = 0;
        while (n < plan.length) {
          const round = plan.slice(n, n + 3);
          const pending: {
            readonly refund: RefundId;
            readonly amount: number;
            readonly units: number;
            readonly fails: boolean;
          }[] = [];
          let free = units - unitsRefunded;
          for (const chunk of round) {
            n += 1;
            const take = Math.min(chunk.units, free);
            // units paid nothing (a line total below its quantity) are left once all the money is back or on its way
            const onItsWay = refunded + pending.reduce((sum, p) => sum + p.amount, 0);
            if (take === 0 || onItsWay === lineTotal) continue;
            const refund = refundId(`r-${n}`);
            const [requested] = apply({
              type: 'RequestRefund',
              orderId: id,
              refundId: refund,
              reason: reason('returned'),
              restock: false,
              lines: [{ sku: line, quantity: quantity(take) }],
              at,
            });
            if (requested?.type !== 'RefundRequested') return expect.fail('no refund requested');
            // k units of a line whose units differ by at most one minor unit
            expect(requested.amount.amount).to.be.within(take * share, take * (share + 1));
            pending.push({ refund, amount: requested.amount.amount, units: take, fails: chunk.fails });
            free -= take;
          }
          for (const p of pending) {
            if (p.fails) {
              apply({ type: 'FailRefund', orderId: id, refundId: p.refund, reason: reason('declined'), at });
            } else {
              apply({ type: 'CompleteRefund', orderId: id, refundId: p.refund, at });
              refunded += p.amount;
              unitsRefunded += p.units;
            }
          }
          if (n >= plan.length && unitsRefunded < units && state.status !== 'Refunded')
            plan.push({ units, fails: false });
        }
        expect(refunded).to.equal(lineTotal);
        expect(state.status).to.equal('Refunded');
      }),
      { numRuns: 300 },
    );
  });
});
