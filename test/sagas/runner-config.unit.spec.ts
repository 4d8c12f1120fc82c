import { expect } from 'chai';
import { SagaConfigError, fulfilmentConfigOf, loadSagaSettings } from '../../commands/sagas/config';
import { fulfilmentSaga } from '../../domain/sagas';

const problemsOf = (env: Record<string, string>): readonly string[] => {
  try {
    loadSagaSettings(env, { dataDir: '/data' });
  } catch (error) {
    if (error instanceof SagaConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('the saga settings', () => {
  it('default to a 15 minute payment timeout, reservations twice as long and three provider retries', () => {
    const settings = loadSagaSettings({}, { dataDir: '/data' });
    expect(settings).to.deep.include({
      paymentTimeoutMs: 900_000,
      reservationTtlMs: 1_800_000,
      providerRetries: 3,
      providerBackoffMs: [1_000, 5_000, 15_000],
      concurrency: 32,
      statePath: '/data/sagas.db',
      deadLetterPath: '/data/dead-letters.db',
    });
    expect(settings.simulator).to.deep.equal({
      latencyMs: { min: 0, max: 0 },
      failureRate: 0,
      seed: 1,
      errorSucceedsAfter: undefined,
      slowMs: 1_200_000,
      outage: undefined,
    });
    expect(() => fulfilmentSaga(fulfilmentConfigOf(settings))).not.to.throw();
  });

  it('reads every variable', () => {
    const settings = loadSagaSettings(
      {
        PAYMENT_TIMEOUT_MS: '60000',
        RESERVATION_TTL_MS: '120000',
        PROVIDER_RETRIES: '5',
        PROVIDER_BACKOFF_MS: '100, 200,400',
        SIM_LATENCY_MS: '20-80',
        SIM_FAILURE_RATE: '0.05',
        SIM_SEED: '42',
        SIM_ERROR_SUCCEEDS_AFTER: '2',
        SIM_SLOW_MS: '90000',
        SIM_OUTAGE: '30s@5s',
        SAGA_DB_PATH: '/state/s.db',
      },
      { dataDir: '/data' },
    );
    expect(settings).to.deep.include({
      paymentTimeoutMs: 60_000,
      reservationTtlMs: 120_000,
      providerRetries: 5,
      providerBackoffMs: [100, 200, 400],
      statePath: '/state/s.db',
    });
    expect(settings.simulator).to.deep.equal({
      latencyMs: { min: 20, max: 80 },
      failureRate: 0.05,
      seed: 42,
      errorSucceedsAfter: 2,
      slowMs: 90_000,
      outage: { afterMs: 5_000, forMs: 30_000 },
    });
  });

  it('keeps reservations longer than the payment timeout when only the timeout is set', () => {
    expect(loadSagaSettings({ PAYMENT_TIMEOUT_MS: '3600000' }, { dataDir: '/d' }).reservationTtlMs).to.equal(7_200_000);
  });

  it('names every bad variable at once', () => {
    const problems = problemsOf({
      PAYMENT_TIMEOUT_MS: 'soon',
      PROVIDER_RETRIES: '-1',
      PROVIDER_BACKOFF_MS: '1000,,x',
      SIM_LATENCY_MS: '80-20',
      SIM_FAILURE_RATE: '1.5',
      SIM_ERROR_SUCCEEDS_AFTER: 'never',
    });
    for (const name of [
      'PAYMENT_TIMEOUT_MS',
      'PROVIDER_RETRIES',
      'PROVIDER_BACKOFF_MS',
      'SIM_LATENCY_MS',
      'SIM_FAILURE_RATE',
      'SIM_ERROR_SUCCEEDS_AFTER',
    ]) {
      expect(
        problems.some((p) => p.startsWith(`${name}:`)),
        name,
      ).to.equal(true);
    }
    expect(problems).to.have.length(6);
  });

  it('refuses reservations that would lapse before the payment timeout', () => {
    expect(problemsOf({ PAYMENT_TIMEOUT_MS: '600000', RESERVATION_TTL_MS: '600000' })).to.deep.equal([
      'RESERVATION_TTL_MS (600000) must exceed PAYMENT_TIMEOUT_MS (600000), or stock could lapse under an order that is still being paid',
    ]);
  });

  it('keeps saga state in memory next to an in-memory event store', () => {
    const settings = loadSagaSettings({}, { dataDir: '/d', inMemory: true });
    expect([settings.statePath, settings.deadLetterPath]).to.deep.equal([':memory:', ':memory:']);
  });
});
