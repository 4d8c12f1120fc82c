import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Submitted } from '../../commands/sagas/runner';
import { openSqliteSagaStateStore, type SqliteSagaStateStore } from '../../infra/sqlite/sqlite-saga-state-store';
import { type Timer } from '../../ports/saga-state';
import { SagaScheduler } from '../../commands/sagas/scheduler';
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
        store.removeTimer(timer.sagaId, timer.deadlineId, timer.dueMs);
        return Promise.resolve({ dispatched: Promise.resolve() });
      },
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'commerce-timers-'));
    state = openSqliteSagaStateStore(join(dir, 'sagas.db'));
    clock = new ManualClock('2026-03-01T10:00:00.000Z');
    fired = [];
    scheduler = schedulerOn(state);
    state.replaceTimers('fulfilment', 'saga-a', [
      { deadlineId: 'payment-timeout', kind: 'PaymentTimeout', dueAt: at('2026-03-01T10:15:00.000Z') },
      { deadlineId: 'authorization-retry-1', kind: 'AuthorizationRetry', dueAt: at('2026-03-01T10:00:01.000Z') },
    ]);
    state.replaceTimers('refund', 'saga-b', [
      { deadlineId: 'refund-retry-1', kind: 'RefundRetry', dueAt: at('2026-03-01T10:00:05.000Z') },
    ]);
  });
  afterEach(() => {
    scheduler.stop();
    state.close();
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
    expect(state.timerCount()).to.equal(0);
  });

  it('joins a tick asked for while one is running', async () => {
    clock.advance(5_000);
    const [first, second] = await Promise.all([scheduler.tick(), scheduler.tick()]);
    expect(first).to.equal(second);
    expect(fired).to.have.length(2);
  });

  it('keeps a deadline that was set again with another due time', () => {
    state.removeTimer('saga-a', 'payment-timeout', Date.parse('2026-03-01T10:14:00.000Z'));
    expect(state.timersOf('saga-a').map((t) => t.deadlineId)).to.include('payment-timeout');
  });

  it('keeps its timers across a restart', async () => {
    state.close();
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
    const before = world.state.timersOf('saga-fulfilment-o-1').map((t) => t.deadlineId);
    expect(before).to.have.members(['payment-timeout', 'authorization-retry-1']);

    await world.loseStateFile();
    expect(world.state.timersOf('saga-fulfilment-o-1').map((t) => t.deadlineId)).to.have.members(before);
    world.clock.advance(1_000);
    expect(await world.running.tick()).to.equal(1);
    await world.running.idle(10_000);
    expect(await world.types('payment-o-1')).to.deep.equal([
      'PaymentAuthorizationFailed',
      'PaymentAuthorizationFailed',
    ]);
  });
});
