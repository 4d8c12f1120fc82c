import { expect } from 'chai';
import { RunnerHalted, SimulatedCrash, type CrashPoint, type RunnerHooks } from '../../commands/sagas/hooks';
import { post } from '../api-spec';
import { defineSku, given, placeOrder, restock, startSagaApi, type SagaTestApi } from './runner-harness';

/** A crash hook a test arms for the n-th time the runner reaches a point. */
class CrashSwitch {
  private point: CrashPoint | undefined;
  private remaining = 0;
  hits = 0;

  readonly hooks: RunnerHooks = {
    at: (point) => {
      if (point !== this.point) return;
      this.remaining -= 1;
      if (this.remaining === 0) {
        this.point = undefined;
        this.hits += 1;
        throw new SimulatedCrash(point);
      }
    },
  };

  arm(point: CrashPoint, nth: number): void {
    this.point = point;
    this.remaining = nth;
  }
}

/** Waits until the runner crashed at the armed point, then starts a fresh runner as a restarted process would. */
const crashAndRestart = async (api: SagaTestApi, crash: CrashSwitch): Promise<void> => {
  const outcome = await api.sagas.idle(15_000).then(
    () => 'idle',
    (error: unknown) => (error instanceof RunnerHalted ? error.why : String(error)),
  );
  expect(outcome, 'the runner should have crashed').to.equal('crashed');
  expect(crash.hits).to.equal(1);
  await api.sagas.restart(crash.hooks);
  await api.settle();
};

const points: readonly CrashPoint[] = [
  'before-append',
  'after-append',
  'after-command',
  'after-dispatch',
  'before-checkpoint',
];

/** Which hit of each point to crash on: every step of the order's way, not just the first. */
const fulfilmentHits: Readonly<Record<CrashPoint, readonly number[]>> = {
  // the saga records four steps for a two-line order (ADR 0012): started, one line, authorization, approval
  'before-append': [1, 2, 3, 4],
  'after-append': [1, 2, 3, 4],
  'after-command': [1, 2, 3, 4, 5],
  'after-dispatch': [1, 2, 3, 4],
  'before-checkpoint': [1, 2, 3],
};

const compensationHits: Readonly<Record<CrashPoint, readonly number[]>> = {
  'before-append': [1, 2],
  'after-append': [1, 2],
  'after-command': [1, 2, 3],
  'after-dispatch': [1, 2],
  'before-checkpoint': [1, 2],
};

const refundHits: Readonly<Record<CrashPoint, readonly number[]>> = {
  'before-append': [1, 2],
  'after-append': [1, 2],
  'after-command': [1, 2, 3],
  'after-dispatch': [1, 2],
  'before-checkpoint': [1],
};

describe('the saga runner crashing and restarting', () => {
  let api: SagaTestApi;
  let crash: CrashSwitch;

  beforeEach(async () => {
    crash = new CrashSwitch();
    api = await startSagaApi({ hooks: crash.hooks });
    await given(api, defineSku('MUG-1', 1000), defineSku('TEE-1', 2500), restock('MUG-1', 10), restock('TEE-1', 10));
  });
  afterEach(async () => {
    await api.close();
  });

  const twoLines = placeOrder('o-1', [
    { sku: 'MUG-1', quantity: 2 },
    { sku: 'TEE-1', quantity: 1 },
  ]);

  /** Every effect of the order happened exactly once, in the store and at the provider. */
  const expectOnce = async (counts: Readonly<Record<string, number>>): Promise<void> => {
    const found: Record<string, number> = {};
    for (const key of Object.keys(counts)) {
      const [stream, type] = key.split(' ');
      found[key] = await api.count(stream ?? '', type ?? '');
    }
    expect(found).to.deep.equal(counts);
  };

  for (const point of points) {
    for (const nth of fulfilmentHits[point]) {
      it(`confirms the order once after a crash at ${point} #${nth}`, async () => {
        crash.arm(point, nth);
        await given(api, twoLines);
        await crashAndRestart(api, crash);
        expect(await api.order('o-1')).to.include({ status: 'Confirmed' });
        await expectOnce({
          'sku-MUG-1 StockReserved': 1,
          'sku-TEE-1 StockReserved': 1,
          'payment-o-1 PaymentAuthorized': 1,
          'payment-o-1 PaymentCaptured': 1,
          'order-o-1 OrderConfirmed': 1,
        });
        expect(api.provider.ledger().map((e) => e.kind)).to.deep.equal(['authorized', 'captured']);
        expect(await api.sku('MUG-1')).to.include({ reserved: 2, available: 8 });
      });
    }
  }

  for (const point of points) {
    for (const nth of compensationHits[point]) {
      it(`refunds the capture once when a cancelled order's compensation crashes at ${point} #${nth}`, async () => {
        await given(api, twoLines);
        expect(await api.order('o-1')).to.include({ status: 'Confirmed' });
        crash.arm(point, nth);
        await given(api, post('/v1/orders/o-1/cancel', { reason: 'changed my mind' }));
        await crashAndRestart(api, crash);
        expect(await api.order('o-1')).to.include({ status: 'Cancelled' });
        await expectOnce({
          'sku-MUG-1 StockReserved': 1,
          'sku-MUG-1 ReservationReleased': 1,
          'sku-TEE-1 ReservationReleased': 1,
          'payment-o-1 PaymentCaptured': 1,
          'payment-o-1 PaymentRefunded': 1,
        });
        expect(api.provider.ledger().map((e) => [e.kind, e.amount.amount])).to.deep.equal([
          ['authorized', 4500],
          ['captured', 4500],
          ['refunded', 4500],
        ]);
        expect(await api.sku('MUG-1')).to.include({ reserved: 0, available: 10 });
      });
    }
  }

  for (const point of points) {
    for (const nth of refundHits[point]) {
      it(`refunds and restocks once when a refund crashes at ${point} #${nth}`, async () => {
        await given(api, twoLines);
        expect(await api.order('o-1')).to.include({ status: 'Confirmed' });
        await given(api, post('/v1/orders/o-1/ship'));
        await api.settle();
        crash.arm(point, nth);
        await given(
          api,
          post('/v1/orders/o-1/refunds', { lines: [{ sku: 'MUG-1', quantity: 2 }], reason: 'broken', restock: true }),
        );
        await crashAndRestart(api, crash);
        const order = await api.order('o-1');
        expect(order).to.include({ status: 'PartiallyRefunded' });
        expect(order.refunded).to.deep.equal({ amount: 2000, currency: 'EUR' });
        await expectOnce({
          'sku-MUG-1 ReservationCommitted': 1,
          'sku-MUG-1 StockRestocked': 2,
          'payment-o-1 PaymentRefunded': 1,
          'order-o-1 RefundCompleted': 1,
        });
        expect(api.provider.ledger().filter((e) => e.kind === 'refunded')).to.have.length(1);
        expect(await api.sku('MUG-1')).to.include({ onHand: 10, reserved: 0 });
      });
    }
  }
});
