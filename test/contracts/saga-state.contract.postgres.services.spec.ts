import { expect } from 'chai';
import { openPgSagaStateStore } from '../../infra/postgres/pg-saga-state-store';
import { timestamp } from '../../domain/shared';
import { postgresSchemas } from '../postgres-schemas';
import { sagaStateContract } from './saga-state.contract';

/**
 * The saga state contract against a real PostgreSQL, plus what only a store shared by several runners shows: two
 * stores on one schema never claim the same timer or stale step at once.
 */
describe('the saga state store on PostgreSQL', () => {
  const schemas = postgresSchemas('saga_state');

  sagaStateContract('PostgreSQL adapter on a throwaway schema', async () => {
    const schema = schemas.next();
    const store = await openPgSagaStateStore({ url: schemas.url, schema });
    return {
      store,
      close: async () => {
        await store.close();
        await schemas.drop(schema);
      },
    };
  });

  it('lets two runners claim disjoint timers and steps, together all of them', async () => {
    const schema = schemas.next();
    const [a, b] = await Promise.all([
      openPgSagaStateStore({ url: schemas.url, schema }),
      openPgSagaStateStore({ url: schemas.url, schema }),
    ]);
    try {
      for (let i = 0; i < 200; i++) {
        await a.replaceTimers('fulfilment', `saga-${i}`, 0, [
          { deadlineId: 'payment-timeout', kind: 'PaymentTimeout', dueAt: timestamp('2026-03-01T10:00:00.000Z') },
        ]);
        await b.announceStep('fulfilment', `saga-${i}`, 0, 1);
      }
      const now = Date.parse('2026-03-01T11:00:00.000Z');
      const claims = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).claimDueTimers(now, 40, 60_000)),
      );
      const timers = claims.flat().map((t) => t.sagaId);
      expect(new Set(timers).size, 'no timer claimed twice').to.equal(timers.length);
      expect(timers).to.have.length(200);
      const later = Date.now() + 1;
      const steps = (
        await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).claimStaleSteps(later, 40, later)))
      ).flat();
      expect(new Set(steps.map((s) => s.id)).size, 'no step claimed twice').to.equal(steps.length);
      expect(steps).to.have.length(200);
    } finally {
      await a.close();
      await b.close();
      await schemas.drop(schema);
    }
  });
});
