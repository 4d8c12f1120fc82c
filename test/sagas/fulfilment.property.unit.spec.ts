import { expect } from 'chai';
import * as fc from 'fast-check';
import { fulfilmentSaga, type FulfilmentStatus, type OutgoingCommand } from '../../domain/sagas';
import { SAVE10, config, placed } from './fixtures';
import {
  World,
  closedAs,
  countedFor,
  couponHeldBy,
  heldBy,
  type AuthorizationAnswer,
  type RefundAnswer,
  type WorldSetup,
} from './world';

const saga = fulfilmentSaga(config);

/** What may happen next in the world; `pick` chooses among the candidates of that kind. */
type Action =
  | { readonly kind: 'execute'; readonly pick: number }
  | { readonly kind: 'deliver'; readonly pick: number }
  | { readonly kind: 'redeliver'; readonly pick: number }
  | { readonly kind: 'tick'; readonly ms: number }
  | { readonly kind: 'resend'; readonly pick: number }
  | { readonly kind: 'ship' };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: fc.nat().map((pick): Action => ({ kind: 'execute', pick })) },
  { weight: 5, arbitrary: fc.nat().map((pick): Action => ({ kind: 'deliver', pick })) },
  { weight: 2, arbitrary: fc.nat().map((pick): Action => ({ kind: 'redeliver', pick })) },
  // mostly seconds pass (retries fall due), now and then enough for the payment timeout
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        { weight: 6, arbitrary: fc.integer({ min: 0, max: 10_000 }) },
        { weight: 1, arbitrary: fc.constant(16 * 60_000) },
      )
      .map((ms): Action => ({ kind: 'tick', ms })),
  },
  { weight: 2, arbitrary: fc.nat().map((pick): Action => ({ kind: 'resend', pick })) },
  { weight: 1, arbitrary: fc.constant<Action>({ kind: 'ship' }) },
);

/** Mostly enough units for the line, sometimes too few. */
const unitsFor = (needed: number): fc.Arbitrary<number> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: needed, max: needed + 1 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: needed - 1 }) },
  );

const setupArb: fc.Arbitrary<WorldSetup> = fc.record({
  // the order needs A×1, B×2, C×1
  stock: fc.record({ A: unitsFor(1), B: unitsFor(2), C: unitsFor(1) }),
  authorizations: fc.array(fc.constantFrom<AuthorizationAnswer>('approve', 'decline', 'error', 'error'), {
    minLength: 1,
    maxLength: 5,
  }),
  refunds: fc.array(fc.constantFrom<RefundAnswer>('ok', 'fail'), { minLength: 1, maxLength: 4 }),
  // half the orders come with a coupon, now and then used up; some SKUs limit what a customer holds (1: over it)
  couponUses: fc.option(fc.constantFrom(0, 1, 1, 1, 5), { nil: undefined }),
  limitOnA: fc.option(fc.constantFrom(1, 2, 2, 2), { nil: undefined, freq: 3 }),
});

/**
 * The customer cancels, and the payment timeout passes, at most once each: when the saga first reaches the chosen
 * status (so every window is hit, however narrow), or never.
 */
const whenArb = fc.constantFrom<FulfilmentStatus | undefined>(
  undefined,
  undefined,
  'Reserving',
  'Authorizing',
  'AwaitingRetry',
  'Confirmed',
);

interface Scenario {
  readonly setup: WorldSetup;
  readonly actions: readonly Action[];
  readonly cancelWhen: FulfilmentStatus | undefined;
  readonly timeoutWhen: FulfilmentStatus | undefined;
  readonly shipAtTheEnd: boolean;
  /** which waiting command runs first once the random actions are over */
  readonly drainOrder: 'oldest' | 'newest';
}

const scenarios: fc.Arbitrary<Scenario> = fc.record({
  setup: setupArb,
  actions: fc.array(actionArb, { maxLength: 80 }),
  cancelWhen: whenArb,
  timeoutWhen: whenArb,
  shipAtTheEnd: fc.boolean(),
  drainOrder: fc.constantFrom('oldest' as const, 'newest' as const),
});

const play = ({ setup, actions, cancelWhen, timeoutWhen, shipAtTheEnd, drainOrder }: Scenario): World => {
  const world = new World(saga, setup);
  const done = { cancelled: false, timedOut: false };
  const triggers = (): void => {
    if (!done.cancelled && world.saga.status === cancelWhen) {
      done.cancelled = true;
      world.customerCancels();
    }
    if (!done.timedOut && world.saga.status === timeoutWhen) {
      done.timedOut = true;
      world.advance(config.paymentTimeoutMs);
    }
  };
  for (const action of actions) {
    triggers();
    switch (action.kind) {
      case 'execute':
        world.executeCommand(action.pick);
        break;
      case 'deliver':
        world.deliverNextFrom(action.pick);
        break;
      case 'redeliver':
        world.redeliver(action.pick);
        break;
      case 'tick':
        world.advance(action.ms);
        break;
      case 'resend':
        world.resendOutboxOf(action.pick % Math.max(world.sagaEvents.length, 1));
        break;
      case 'ship':
        world.warehouseShips();
        break;
      default: {
        const unexpected: never = action;
        throw new TypeError(`unexpected action ${JSON.stringify(unexpected)}`);
      }
    }
  }
  triggers();
  world.drain(triggers, drainOrder);
  // a cancellation meant for a paid order happens once it is paid
  if (cancelWhen === 'Confirmed' && !done.cancelled) world.customerCancels();
  else if (shipAtTheEnd) world.warehouseShips();
  world.drain();
  return world;
};

/** Delivers everything the saga saw once more, as a consumer replaying from an old checkpoint would. */
const replayAll = (world: World): void => {
  const seen = world.delivered.length;
  for (let i = 0; i < seen; i++) world.redeliver(i);
  world.drain();
};

/** A label for how a scenario ended, to check the generators reach every path. */
const outcomeOf = (world: World): string => {
  const saga = world.saga;
  if (saga.status !== 'Cancelled' && saga.status !== 'Compensating' && saga.status !== 'Failed') return saga.status;
  const why = saga.by === 'customer' ? 'by the customer' : saga.reason;
  return `${saga.status} ${why}${saga.refund === null ? '' : ' after capture'}`;
};

const sentTypes = (sent: readonly OutgoingCommand[]): Set<string> => new Set(sent.map((c) => c.command.type));

describe('the fulfilment saga, whatever order facts arrive in and however often', () => {
  it('is exercised on every path: shipped, paid, out of stock, declined, provider errors, timeouts, cancellations', () => {
    const outcomes = new Set(fc.sample(scenarios, { numRuns: 1_500, seed: 42 }).map((s) => outcomeOf(play(s))));
    expect([...outcomes]).to.include.members([
      'Completed',
      'Confirmed',
      'Cancelled out_of_stock',
      'Cancelled payment_declined',
      'Cancelled payment_error',
      'Cancelled payment_timeout',
      'Cancelled by the customer',
      'Cancelled by the customer after capture',
      'Failed by the customer after capture',
      'Cancelled coupon_unavailable',
      'Cancelled purchase_limit_exceeded',
    ]);
  });

  it('sends nothing new when every fact it saw is delivered again after it settled', () => {
    fc.assert(
      fc.property(scenarios, (scenario) => {
        const world = play(scenario);
        const before = world.sent.length;
        const events = world.sagaEvents.length;
        replayAll(world);
        expect(world.sent.length).to.equal(before);
        expect(world.sagaEvents.length).to.equal(events);
      }),
      { numRuns: 300 },
    );
  });

  it('never sends two different commands under the same command id', () => {
    fc.assert(
      fc.property(scenarios, (scenario) => {
        const seen = new Map<string, string>();
        for (const { commandId, command } of play(scenario).sent) {
          const body = JSON.stringify(command);
          expect(seen.get(commandId) ?? body, commandId).to.equal(body);
          seen.set(commandId, body);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never both confirms and cancels the order', () => {
    fc.assert(
      fc.property(scenarios, (scenario) => {
        const types = sentTypes(play(scenario).sent);
        expect(types.has('ConfirmOrder') && types.has('CancelOrder')).to.equal(false);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves no stock held and no money taken once the order is cancelled', () => {
    fc.assert(
      fc.property(scenarios, (scenario) => {
        const world = play(scenario);
        if (world.order.status !== 'Cancelled') return;
        for (const line of placed.lines) {
          const stock = world.inventory.get(line.sku);
          expect(heldBy(stock, world.orderId), `${line.sku} still reserved`).to.equal(0);
          expect(closedAs(stock, world.orderId)).to.not.equal('committed');
        }
        // the coupon's use is back, and the order's units no longer count towards the customer's limit
        expect(couponHeldBy(world.coupons.get(SAVE10), world.orderId)).to.be.oneOf([undefined, 'released']);
        for (const line of placed.lines) expect(countedFor(world.inventory.get(line.sku), world.orderId)).to.equal(0);
        const payment = world.payment.status;
        if (world.saga.status === 'Failed') {
          // the refund failed for good: the money is still captured and an operator is told so
          expect(payment).to.be.oneOf(['Captured', 'PartiallyRefunded']);
        } else {
          expect(payment).to.be.oneOf(['None', 'Declined', 'Voided', 'Refunded']);
          expect(world.saga.status).to.equal('Cancelled');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('ends paid with every line held, or shipped with every line committed, when not cancelled', () => {
    fc.assert(
      fc.property(scenarios, (scenario) => {
        const world = play(scenario);
        expect(world.order.status).to.be.oneOf(['Confirmed', 'Shipped', 'Cancelled']);
        if (world.order.status === 'Cancelled') return;
        expect(world.payment.status).to.equal('Captured');
        const shipped = world.order.status === 'Shipped';
        expect(world.saga.status).to.equal(shipped ? 'Completed' : 'Confirmed');
        for (const line of placed.lines) {
          const stock = world.inventory.get(line.sku);
          if (shipped) expect(closedAs(stock, world.orderId)).to.equal('committed');
          else expect(heldBy(stock, world.orderId)).to.equal(line.quantity);
        }
        if (scenario.setup.couponUses !== undefined) {
          expect(couponHeldBy(world.coupons.get(SAVE10), world.orderId)).to.equal('redeemed');
        }
        // shipped or not, the customer has the units: they count
        const a = placed.lines[0];
        if (scenario.setup.limitOnA !== undefined && a !== undefined) {
          expect(countedFor(world.inventory.get(a.sku), world.orderId)).to.equal(a.quantity);
        }
      }),
      { numRuns: 300 },
    );
  });
});
