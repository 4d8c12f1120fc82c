import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sagaKinds } from '../../commands/sagas/definitions';
import { SagaHost } from '../../commands/sagas/saga-host';
import { fulfilmentSagaId } from '../../domain/sagas';
import { openSqliteEventStore, type SqliteEventStore } from '../../infra/sqlite/sqlite-event-store';
import { openSqliteSagaStateStore, type SqliteSagaStateStore } from '../../infra/sqlite/sqlite-saga-state-store';
import { ManualClock } from '../../ports/clock';
import { StoreUnavailableError } from '../../ports/event-store';
import type { SagaStateStore } from '../../ports/saga-state';
import { config, order, placed } from './fixtures';

describe('a saga step whose timers cannot be written after its append (the store went down in between)', () => {
  let dir: string;
  let store: SqliteEventStore;
  let state: SqliteSagaStateStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'commerce-saga-host-'));
    store = openSqliteEventStore({ path: join(dir, 'events.db') });
    state = openSqliteSagaStateStore(join(dir, 'sagas.db'));
  });
  afterEach(async () => {
    await store.close();
    await state.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails the step and leaves its dispatch-log row to the sweep, not held as in flight', async () => {
    let down = true;
    // the real store, except that the timers' write fails once, as it does when PostgreSQL stops under the step
    const failing: SagaStateStore = Object.assign(Object.create(state) as SqliteSagaStateStore, {
      replaceTimers: (...args: Parameters<SagaStateStore['replaceTimers']>) => {
        if (!down) return state.replaceTimers(...args);
        down = false;
        return Promise.reject(new StoreUnavailableError('PostgreSQL', new Error('connection terminated')));
      },
    });
    const liveSteps = new Set<string>();
    const { fulfilment } = sagaKinds(config, { maxProviderRetries: 0, retryBackoffMs: [0] });
    const host = new SagaHost(fulfilment, {
      store,
      state: failing,
      clock: new ManualClock(),
      guard: () => undefined,
      crashPoint: () => undefined,
      liveSteps,
    });
    const sagaId = fulfilmentSagaId(order);

    const step = host.step(sagaId, { input: placed, key: 'event:e-1', causationId: 'e-1' });

    await step.then(
      () => expect.fail('the step should fail'),
      (error: unknown) => expect(error).to.be.instanceOf(StoreUnavailableError),
    );
    expect((await store.readStream(sagaId)).length, 'the saga events were appended').to.be.greaterThan(0);
    expect([...liveSteps], 'no row kept alive: a sweep may take it over').to.deep.equal([]);
    const stale = await state.claimStaleSteps(Date.now() + 1, 10, Date.now() + 1);
    expect(stale.map((s) => s.sagaId)).to.deep.equal([sagaId]);
  });
});
