import { expect } from 'chai';
import {
  CircuitBreaker,
  guardedProvider,
  type BreakerSettings,
  type BreakerState,
} from '../../commands/sagas/circuit-breaker';
import { loadSagaSettings } from '../../commands/sagas/config';
import { SimulatedPaymentProvider } from '../../infra/payments';
import { money, currency, type OrderId } from '../../domain/shared';

const settings: BreakerSettings = {
  windowMs: 1_000,
  minCalls: 4,
  errorRatio: 0.5,
  slowCallMs: 100,
  slowRatio: 0.75,
  openMs: 500,
  probes: 2,
};

/** A breaker on a hand-moved clock that records its transitions. */
const breakerAt = () => {
  let now = 0;
  const moves: string[] = [];
  const breaker = new CircuitBreaker(
    settings,
    () => now,
    (from: BreakerState, to: BreakerState) => {
      moves.push(`${from}->${to}`);
    },
  );
  const call = (outcome: 'ok' | 'error', elapsedMs = 1): boolean => {
    const permit = breaker.permit();
    if (!permit.go) return false;
    permit.done(outcome, elapsedMs);
    return true;
  };
  return {
    breaker,
    moves,
    call,
    advance(ms: number) {
      now += ms;
    },
  };
};

describe('the payment provider circuit breaker', () => {
  it('stays closed below the minimum number of calls, however many fail', () => {
    const b = breakerAt();
    for (let i = 0; i < 3; i++) b.call('error');
    expect(b.breaker.state).to.equal('closed');
  });

  it('counts exactly over a window of thousands of calls as the oldest leave it', () => {
    const b = breakerAt();
    for (let i = 0; i < 3_000; i++) b.call('ok');
    b.advance(600);
    // 2,999 failures beside 3,000 successes: just under half
    for (let i = 0; i < 2_999; i++) b.call('error');
    expect(b.breaker.state).to.equal('closed');
    // the successes leave the window: the next failure finds nothing but failures in it
    b.advance(500);
    b.call('error');
    expect(b.breaker.state).to.equal('open');
  });

  it('opens once the error share of the window reaches the ratio, and lets no call through while open', () => {
    const b = breakerAt();
    b.call('ok');
    b.call('ok');
    b.call('error');
    expect(b.breaker.state).to.equal('closed');
    b.call('error');
    expect(b.breaker.state).to.equal('open');
    const permit = b.breaker.permit();
    expect(permit).to.deep.equal({ go: false, waitMs: 500 });
    expect(b.moves).to.deep.equal(['closed->open']);
  });

  it('opens on slow calls too', () => {
    const b = breakerAt();
    for (let i = 0; i < 3; i++) b.call('ok', 150);
    b.call('ok', 1);
    expect(b.breaker.state).to.equal('open');
  });

  it('forgets calls older than the window', () => {
    const b = breakerAt();
    b.call('error');
    b.call('error');
    b.advance(1_001);
    b.call('ok');
    b.call('ok');
    b.call('error');
    expect(b.breaker.state).to.equal('closed');
  });

  it('probes half open after the open time: all probes passing close it, one failing opens it again', () => {
    const b = breakerAt();
    for (let i = 0; i < 4; i++) b.call('error');
    b.advance(500);
    expect(b.breaker.state).to.equal('half_open');
    const first = b.breaker.permit();
    const second = b.breaker.permit();
    expect(first.go && second.go).to.equal(true);
    expect(b.breaker.permit().go).to.equal(false);
    if (!first.go || !second.go) throw new Error('probes should go');
    first.done('error', 1);
    expect(b.breaker.state).to.equal('open');
    b.advance(500);
    expect(b.call('ok')).to.equal(true);
    expect(b.call('ok')).to.equal(true);
    expect(b.breaker.state).to.equal('closed');
    expect(b.moves).to.deep.equal([
      'closed->open',
      'open->half_open',
      'half_open->open',
      'open->half_open',
      'half_open->closed',
    ]);
  });
});

describe('the payment provider behind the breaker', () => {
  it('never calls the provider while open: callers wait, one probe per open period goes, and all pass once it is back', async () => {
    let now = 0;
    const provider = new SimulatedPaymentProvider({ outage: { afterMs: 0, forMs: 2_000 }, now: () => now });
    const breaker = new CircuitBreaker({ ...settings, minCalls: 2, probes: 1 }, () => now);
    const statesAtCall: string[] = [];
    const guarded = guardedProvider(
      {
        authorize: (request) => {
          statesAtCall.push(breaker.state);
          return provider.authorize(request);
        },
        capture: (request) => provider.capture(request),
        void: (request) => provider.void(request),
        refund: (request) => provider.refund(request),
      },
      breaker,
      (ms) => {
        now += ms;
        return Promise.resolve();
      },
      () => now,
    );
    const outcomes: string[] = [];
    // ten orders, each retried at once on a provider error as a saga would (with its own backoff)
    for (let i = 0; i < 10; i++) {
      for (let attempt = 0; ; attempt++) {
        const { result } = await guarded.authorize({
          orderId: `o-${i}` as OrderId,
          amount: money(500, currency('EUR')),
          token: 'tok_approve',
          idempotencyKey: `k-${i}-${attempt}`,
        });
        if (result !== 'provider_error') {
          outcomes.push(result);
          break;
        }
      }
    }
    expect(outcomes).to.deep.equal(Array.from({ length: 10 }, () => 'approved'));
    expect(statesAtCall).to.not.include('open');
    // two calls opened it, then one probe per 500 ms open period until the outage ended at 2 s, then ten successes
    expect(statesAtCall.length).to.be.at.most(2 + 4 + 10);
    expect(breaker.state).to.equal('closed');
  });
});

describe('saga settings for the breaker and the simulated outage', () => {
  const load = (env: Record<string, string>) => loadSagaSettings(env, { dataDir: '/tmp/x', inMemory: true });

  it('turn the breaker on by default and off with PROVIDER_BREAKER=off', () => {
    expect(load({}).breaker?.openMs).to.equal(5_000);
    expect(load({ PROVIDER_BREAKER: 'off' }).breaker).to.equal(undefined);
    expect(load({ PROVIDER_BREAKER_OPEN_MS: '2000' }).breaker?.openMs).to.equal(2_000);
  });

  it('read SIM_OUTAGE as a duration, optionally after a delay, and name a bad one', () => {
    expect(load({ SIM_OUTAGE: '30s' }).simulator.outage).to.deep.equal({ afterMs: 0, forMs: 30_000 });
    expect(load({ SIM_OUTAGE: '30s@10s' }).simulator.outage).to.deep.equal({ afterMs: 10_000, forMs: 30_000 });
    expect(load({ SIM_OUTAGE: '500ms' }).simulator.outage).to.deep.equal({ afterMs: 0, forMs: 500 });
    expect(() => load({ SIM_OUTAGE: 'soon' })).to.throw(/SIM_OUTAGE/);
  });
});
