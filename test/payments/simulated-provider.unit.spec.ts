import { expect } from 'chai';
import { AuthorizationOutcome, RefundOutcome } from '../../domain/payment';
import { currency, money, orderId, refundId, type Money } from '../../domain/shared';
import {
  SimulatedPaymentProvider,
  seededRandom,
  simulatedTokens,
  type SimulatedProviderOptions,
} from '../../infra/payments';
import type { AuthorizeRequest } from '../../ports/payment-provider';

const eur = (amount: number): Money => money(amount, currency('EUR'));
const o1 = orderId('o-1');

/** A sleep that never waits: it records what it was asked for, and can hold answers until released. */
class FakeSleep {
  readonly asked: number[] = [];
  private held: (() => void)[] = [];
  holding = false;
  readonly sleep = (ms: number): Promise<void> => {
    this.asked.push(ms);
    if (!this.holding) return Promise.resolve();
    return new Promise((resolve) => this.held.push(resolve));
  };
  release(): void {
    for (const resolve of this.held) resolve();
    this.held = [];
  }
}

const provider = (options: SimulatedProviderOptions = {}): { sim: SimulatedPaymentProvider; sleep: FakeSleep } => {
  const sleep = new FakeSleep();
  return { sim: new SimulatedPaymentProvider({ sleep: sleep.sleep, ...options }), sleep };
};

const authorizeWith = (token: string, key = `key-${token}`, order = o1, amount = eur(1000)): AuthorizeRequest => ({
  orderId: order,
  amount,
  token,
  idempotencyKey: key,
});

/** Lets pending promise callbacks run, so a test can see whether an answer is still outstanding. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('the simulated payment provider', () => {
  describe('authorizing', () => {
    it('approves tok_approve with an authorization id, and records the charge', async () => {
      const { sim } = provider();
      const answer = await sim.authorize(authorizeWith(simulatedTokens.approve));
      expect(answer).to.deep.equal({ result: 'approved', authorizationId: 'auth_sim_1' });
      expect(sim.ledger()).to.deep.equal([
        { kind: 'authorized', orderId: o1, amount: eur(1000), reference: 'auth_sim_1' },
      ]);
    });

    it("approves Stripe's tok_visa too", async () => {
      const { sim } = provider();
      expect((await sim.authorize(authorizeWith('tok_visa'))).result).to.equal('approved');
    });

    it('declines tok_decline as card_declined', async () => {
      const { sim } = provider();
      expect(await sim.authorize(authorizeWith(simulatedTokens.decline))).to.deep.equal({
        result: 'declined',
        declineCode: 'card_declined',
      });
      expect(sim.ledger()).to.deep.equal([]);
    });

    it('declines an unknown token as invalid_token', async () => {
      const { sim } = provider();
      expect(await sim.authorize(authorizeWith('tok_nonsense'))).to.deep.equal({
        result: 'declined',
        declineCode: 'invalid_token',
      });
    });

    it('answers tok_error with a provider error, every time unless told to recover', async () => {
      const { sim } = provider();
      for (const attempt of [1, 2, 3, 4]) {
        const answer = await sim.authorize(authorizeWith(simulatedTokens.error, `attempt-${attempt}`));
        expect(answer.result).to.equal('provider_error');
      }
    });

    it('approves tok_error after the configured number of failures, counting retries (new keys) only', async () => {
      const { sim } = provider({ errorSucceedsAfter: 2 });
      const results: string[] = [];
      for (const key of ['a-1', 'a-1', 'a-2', 'a-3']) {
        results.push((await sim.authorize(authorizeWith(simulatedTokens.error, key))).result);
      }
      expect(results).to.deep.equal(['provider_error', 'provider_error', 'provider_error', 'approved']);
    });

    it('answers tok_slow only after the configured delay, approved', async () => {
      const { sim, sleep } = provider({ slowResponseMs: 20 * 60_000 });
      sleep.holding = true;
      let answered = false;
      const answer = sim.authorize(authorizeWith(simulatedTokens.slow)).then((a) => {
        answered = true;
        return a;
      });
      await settle();
      expect(answered).to.equal(false);
      expect(sleep.asked).to.deep.equal([20 * 60_000]);
      sleep.release();
      expect((await answer).result).to.equal('approved');
    });

    it('gives outcomes the payment centre decodes as they are', async () => {
      const { sim } = provider({ errorSucceedsAfter: 0 });
      for (const token of [...Object.values(simulatedTokens).filter((t) => t !== 'tok_slow'), 'tok_other']) {
        expect(AuthorizationOutcome.is(await sim.authorize(authorizeWith(token))), token).to.equal(true);
      }
    });
  });

  describe('with an idempotency key', () => {
    it('gives the same answer to the same key and charges once', async () => {
      const { sim } = provider();
      const first = await sim.authorize(authorizeWith(simulatedTokens.approve, 'k'));
      const second = await sim.authorize(authorizeWith(simulatedTokens.approve, 'k'));
      expect(second).to.deep.equal(first);
      expect(sim.ledger()).to.have.length(1);
    });

    it('shares one call between concurrent repeats', async () => {
      const { sim, sleep } = provider({ latencyMs: { min: 5, max: 5 } });
      const answers = await Promise.all(
        [1, 2, 3].map(() => sim.authorize(authorizeWith(simulatedTokens.approve, 'k'))),
      );
      expect(new Set(answers.map((a) => JSON.stringify(a))).size).to.equal(1);
      expect(sleep.asked).to.deep.equal([5]);
      expect(sim.ledger()).to.have.length(1);
    });

    it('refuses a key reused for a different request, moving no money', async () => {
      const { sim } = provider();
      await sim.authorize(authorizeWith(simulatedTokens.approve, 'k'));
      const reused = await sim.authorize(authorizeWith(simulatedTokens.approve, 'k', o1, eur(5)));
      expect(reused.result).to.equal('provider_error');
      expect(sim.ledger()).to.have.length(1);
    });

    it('remembers a bounded number of keys, forgetting the oldest', async () => {
      const { sim } = provider({ maxRememberedKeys: 2 });
      for (const key of ['k1', 'k2', 'k3']) {
        await sim.authorize(authorizeWith(simulatedTokens.approve, key, orderId(`o-${key}`)));
      }
      // k3 and k2 are remembered, k1 is not: asking again with k1 charges anew
      await sim.authorize(authorizeWith(simulatedTokens.approve, 'k3', orderId('o-k3')));
      expect(sim.ledger()).to.have.length(2);
      await sim.authorize(authorizeWith(simulatedTokens.approve, 'k1', orderId('o-k1')));
      expect(sim.ledger().map((e) => e.reference)).to.deep.equal(['auth_sim_3', 'auth_sim_4']);
    });
  });

  describe('latency and outages', () => {
    it('waits a random latency within the range, the same for the same seed', async () => {
      const delays = async (seed: number): Promise<number[]> => {
        const { sim, sleep } = provider({ random: seededRandom(seed), latencyMs: { min: 10, max: 50 } });
        for (const key of ['a', 'b', 'c', 'd', 'e']) await sim.authorize(authorizeWith(simulatedTokens.approve, key));
        return sleep.asked;
      };
      const first = await delays(7);
      expect(first).to.have.length(5);
      for (const ms of first) expect(ms).to.be.within(10, 50);
      expect(await delays(7)).to.deep.equal(first);
      expect(await delays(8)).to.not.deep.equal(first);
    });

    it('fails calls at the configured rate, whatever the token, reproducibly', async () => {
      const outcomes = async (seed: number): Promise<string[]> => {
        const { sim } = provider({ random: seededRandom(seed), failureRate: 0.5 });
        const results: string[] = [];
        for (let i = 0; i < 40; i++) {
          results.push(
            (await sim.authorize(authorizeWith(simulatedTokens.approve, `k-${i}`, orderId(`o-${i}`)))).result,
          );
        }
        return results;
      };
      const run = await outcomes(3);
      const errors = run.filter((r) => r === 'provider_error').length;
      expect(errors).to.be.within(10, 30);
      expect(await outcomes(3)).to.deep.equal(run);
    });

    it('fails every call at rate 1', async () => {
      const { sim } = provider({ failureRate: 1 });
      expect((await sim.authorize(authorizeWith(simulatedTokens.approve))).result).to.equal('provider_error');
    });

    it('refuses a nonsensical configuration', () => {
      expect(() => new SimulatedPaymentProvider({ failureRate: 2 })).to.throw(RangeError);
      expect(() => new SimulatedPaymentProvider({ latencyMs: { min: 5, max: 1 } })).to.throw(RangeError);
    });
  });

  describe('capturing and voiding', () => {
    it('captures up to the authorized amount, once', async () => {
      const { sim } = provider();
      await sim.authorize(authorizeWith(simulatedTokens.approve));
      const capture = { orderId: o1, authorizationId: 'auth_sim_1', amount: eur(1000) };
      expect(await sim.capture({ ...capture, idempotencyKey: 'c1' })).to.deep.equal({ result: 'captured' });
      expect(await sim.capture({ ...capture, idempotencyKey: 'c1' })).to.deep.equal({ result: 'captured' });
      expect((await sim.capture({ ...capture, idempotencyKey: 'c2' })).result).to.equal('provider_error');
      expect(sim.ledger().map((e) => e.kind)).to.deep.equal(['authorized', 'captured']);
    });

    it('voids an uncaptured authorization, and cannot capture it afterwards', async () => {
      const { sim } = provider();
      await sim.authorize(authorizeWith(simulatedTokens.approve));
      const voided = await sim.void({ orderId: o1, authorizationId: 'auth_sim_1', idempotencyKey: 'v1' });
      expect(voided).to.deep.equal({ result: 'voided' });
      const capture = { orderId: o1, authorizationId: 'auth_sim_1', amount: eur(1000), idempotencyKey: 'c1' };
      expect((await sim.capture(capture)).result).to.equal('provider_error');
    });

    it('does not void an unknown authorization', async () => {
      const { sim } = provider();
      const voided = await sim.void({ orderId: o1, authorizationId: 'auth_nope', idempotencyKey: 'v1' });
      expect(voided.result).to.equal('provider_error');
    });
  });

  describe('refunding', () => {
    const r1 = refundId('r-1');

    it('refunds part of a charge, then the rest, but never more', async () => {
      const { sim } = provider();
      await sim.authorize(authorizeWith(simulatedTokens.approve));
      const refund = (key: string, amount: number) =>
        sim.refund({ orderId: o1, refundId: refundId(key), amount: eur(amount), idempotencyKey: key });
      expect(await refund('r-1', 400)).to.deep.equal({ result: 'refunded', providerRefundId: 're_sim_2' });
      expect((await refund('r-2', 600)).result).to.equal('refunded');
      expect((await refund('r-3', 1)).result).to.equal('failed');
      expect(sim.ledger().filter((e) => e.kind === 'refunded')).to.have.length(2);
    });

    it('refunds once per key', async () => {
      const { sim } = provider();
      await sim.authorize(authorizeWith(simulatedTokens.approve));
      const request = { orderId: o1, refundId: r1, amount: eur(1000), idempotencyKey: 'k' };
      const first = await sim.refund(request);
      expect(await sim.refund(request)).to.deep.equal(first);
      expect(sim.ledger().filter((e) => e.kind === 'refunded')).to.have.length(1);
    });

    it('fails to refund an order it never charged', async () => {
      const { sim } = provider();
      const answer = await sim.refund({ orderId: o1, refundId: r1, amount: eur(1), idempotencyKey: 'k' });
      expect(answer.result).to.equal('failed');
      expect(RefundOutcome.is(answer)).to.equal(true);
    });

    it('fails refunds of a tok_refund_fail charge, until the configured number of failures', async () => {
      const { sim } = provider({ errorSucceedsAfter: 1 });
      await sim.authorize(authorizeWith(simulatedTokens.refundFail));
      const attempt = (key: string) =>
        sim.refund({ orderId: o1, refundId: r1, amount: eur(1000), idempotencyKey: key });
      expect((await attempt('refund-1')).result).to.equal('failed');
      expect((await attempt('refund-2')).result).to.equal('refunded');
    });
  });
});

describe('the seeded random numbers', () => {
  it('repeat for the same seed and stay within [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const values = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).to.deep.equal(values);
    for (const v of values) expect(v).to.be.at.least(0).and.below(1);
    expect(new Set(values).size).to.be.greaterThan(990);
  });
});
