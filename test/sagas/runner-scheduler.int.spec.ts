import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Submitted } from '../../commands/sagas/runner';
import { openSqliteSagaStateStore, type SqliteSagaStateStore } from '../../infra/sqlite/sqlite-saga-state-store';
import { type Timer } from '../../ports/saga-state';
import { SagaScheduler } from '../../commands/sagas/scheduler';
import { PlaceOrder } from '../../domain/order';
import { timestamp } from '../../domain/shared';
import { createLogger } from '../../infra/observability/logger';
import { ManualClock } from '../../ports/clock';
import { SagaWorld } from '../dead-letters/saga-world';

const at = (iso: string) => timestamp(iso);

describe('the saga scheduler', () => {
  let dir: string;
  let state: SqliteSagaStateStore;
  let clock: ManualClock;
  let fired: Timer[];
  let scheduler: SagaScheduler;

  const schedulerOn = (store: SqliteSagaStateStore): SagaScheduler =>
    new SagaScheduler({
      state: store,
      clock,
      logger: createLogger('silent'),
      // like the runner: the saga handles the firing, then the timer goes
      fire: (timer): Promise<Submitted> => {
        fired.push(timer);
        return store
          .removeTimer(timer.sagaId, timer.deadlineId, timer.dueMs)
          .then(() => ({ dispatched: Promise.resolve() }));
      },
    });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'commerce-timers-'));
    state = openSqliteSagaStateStore(join(dir, 'sagas.db'));
    clock = new ManualClock('2026-03-01T10:00:00.000Z');
    fired = [];
    scheduler = schedulerOn(state);
    await state.replaceTimers('fulfilment', 'saga-a', 0, [
      { deadlineId: 'payment-timeout', kind: 'PaymentTimeout', dueAt: at('2026-03-01T10:15:00.000Z') },
      { deadlineId: 'authorization-retry-1', kind: 'AuthorizationRetry', dueAt: at('2026-03-01T10:00:01.000Z') },
    ]);
    await state.replaceTimers('refund', 'saga-b', 0, [
      { deadlineId: 'refund-retry-1', kind: 'RefundRetry', dueAt: at('2026-03-01T10:00:05.000Z') },
    ]);
  });
  afterEach(async () => {
    scheduler.stop();
    await state.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fires nothing before a deadline is due', async () => {
    clock.advance(999);
    expect((await scheduler.tick()).fired).to.equal(0);
    expect(fired).to.deep.equal([]);
  });

  it('fires the due deadlines by the clock, earliest first, each once', async () => {
    clock.advance(5_000);
    expect((await scheduler.tick()).fired).to.equal(2);
    expect(fired.map((t) => t.deadlineId)).to.deep.equal(['authorization-retry-1', 'refund-retry-1']);
    expect((await scheduler.tick()).fired).to.equal(0);
    clock.advance(15 * 60_000);
    await scheduler.tick();
    expect(fired.map((t) => [t.saga, t.sagaId, t.deadlineId])).to.deep.equal([
      ['fulfilment', 'saga-a', 'authorization-retry-1'],
      ['refund', 'saga-b', 'refund-retry-1'],
      ['fulfilment', 'saga-a', 'payment-timeout'],
    ]);
    expect(await state.timerCount()).to.equal(0);
  });

  it('joins a tick asked for while one is running', async () => {
    clock.advance(5_000);
    const [first, second] = await Promise.all([scheduler.tick(), scheduler.tick()]);
    expect(first).to.equal(second);
    expect(fired).to.have.length(2);
  });

  it('keeps a deadline that was set again with another due time', async () => {
    await state.removeTimer('saga-a', 'payment-timeout', Date.parse('2026-03-01T10:14:00.000Z'));
    expect((await state.timersOf('saga-a')).map((t) => t.deadlineId)).to.include('payment-timeout');
  });

  it('keeps its timers across a restart', async () => {
    await state.close();
    state = openSqliteSagaStateStore(join(dir, 'sagas.db'));
    scheduler = schedulerOn(state);
    clock.advance(20 * 60_000);
    expect((await scheduler.tick()).fired).to.equal(3);
  });

  it('fires nothing once stopped', async () => {
    scheduler.stop();
    clock.advance(20 * 60_000);
    expect((await scheduler.tick()).fired).to.equal(0);
  });
});

describe('saga timers after the state file was lost', () => {
  let world: SagaWorld;
  afterEach(async () => {
    await world.close();
  });

  it('are rebuilt from the saga streams, so the retry still fires', async () => {
    world = await SagaWorld.start();
    await world.stock('MUG-1', 10);
    await world.place('o-1', 'MUG-1', 1, undefined, 'tok_error');
    await world.running.idle(10_000);
    const before = (await world.state.timersOf('saga-fulfilment-o-1')).map((t) => t.deadlineId);
    expect(before).to.have.members(['payment-timeout', 'authorization-retry-1']);

    await world.loseStateFile();
    expect((await world.state.timersOf('saga-fulfilment-o-1')).map((t) => t.deadlineId)).to.have.members(before);
    world.clock.advance(1_000);
    expect(await world.running.tick()).to.equal(1);
    await world.running.idle(10_000);
    expect(await world.types('payment-o-1')).to.deep.equal([
      'PaymentAuthorizationFailed',
      'PaymentAuthorizationFailed',
    ]);
  });

  it("re-arm a pre-sale's balance deadline, which cancels the unpaid order and refunds its deposit", async () => {
    world = await SagaWorld.start();
    await world.stock('MUG-1', 10);
    // 2 mugs at 10.00 through a pre-sale channel: 30 % deposit, balance due from the 2nd until the 5th
    const placing = PlaceOrder.decode({
      type: 'PlaceOrder',
      orderId: 'pre-1',
      customerId: 'cust-1',
      currency: 'EUR',
      lines: [{ sku: 'MUG-1', quantity: 2, unitPrice: { amount: 1000, currency: 'EUR' } }],
      channel: 'pre',
      tradeType: 'presale',
      terms: {
        paymentTimeoutMs: 600_000,
        reservationTtlMs: 1_200_000,
        partialRefunds: true,
        refundWindowMs: null,
        presale: {
          depositBasisPoints: 3000,
          balanceFrom: '2026-03-02T00:00:00.000Z',
          balanceUntil: '2026-03-05T00:00:00.000Z',
          lateBalance: 'refundDeposit',
        },
      },
      paymentToken: 'tok_approve',
      at: '2026-03-01T10:00:00.000Z',
    });
    if (placing._tag === 'Left') throw new Error('the PlaceOrder fixture does not decode');
    await world.order(placing.right);
    await world.running.idle(10_000);
    expect(await world.types('order-pre-1')).to.deep.equal(['OrderPlaced', 'DepositPaid']);
    expect((await world.state.timersOf('saga-fulfilment-pre-1')).map((t) => [t.deadlineId, t.dueAt])).to.deep.equal([
      ['balance-deadline', '2026-03-05T00:00:00.000Z'],
    ]);

    await world.loseStateFile();
    expect(await world.state.isInitialized()).to.equal(true);
    expect((await world.state.timersOf('saga-fulfilment-pre-1')).map((t) => [t.deadlineId, t.dueAt])).to.deep.equal([
      ['balance-deadline', '2026-03-05T00:00:00.000Z'],
    ]);
    world.clock.set('2026-03-04T23:59:59.000Z');
    expect(await world.running.tick()).to.equal(0);
    world.clock.set('2026-03-05T00:00:00.000Z');
    expect(await world.running.tick()).to.equal(1);
    await world.running.idle(10_000);

    const cancelled = (await world.store.readStream('order-pre-1')).filter((e) => e.type === 'OrderCancelled.v1');
    expect(cancelled.map((e) => (e.data as { reason?: string }).reason)).to.deep.equal(['balance_not_paid']);
    const payment = await world.store.readStream('payment-pre-1');
    expect(
      payment.filter((e) => e.type === 'PaymentRefunded.v1').map((e) => (e.data as { amount?: unknown }).amount),
    ).to.deep.equal([{ amount: 600, currency: 'EUR' }]);
    expect(await world.types('sku-MUG-1')).to.include('ReservationReleased');
    expect(await world.state.timersOf('saga-fulfilment-pre-1')).to.deep.equal([]);
    // fired once: a further tick finds nothing
    world.clock.advance(60_000);
    expect(await world.running.tick()).to.equal(0);
  });
});
