import { expect } from 'chai';
import { currency, money, orderId, refundId, type Money, type OrderId } from '../../domain/shared';
import { simulatedTokens, type LedgerEntry } from '../../infra/payments';
import type { AuthorizeRequest, PaymentProvider } from '../../ports/payment-provider';

/** One provider under test, answering like the simulator (its test tokens), and the money it moved, if visible. */
export interface ProviderUnderTest {
  readonly provider: PaymentProvider;
  /** what the provider behind the adapter actually moved (the simulator's ledger) */
  readonly ledger: () => readonly LedgerEntry[];
  readonly close?: () => Promise<void>;
}

const eur = (amount: number): Money => money(amount, currency('EUR'));
const usd = (amount: number): Money => money(amount, currency('USD'));

let orders = 0;
/** A fresh order per test, so adapters that share one provider across tests do not see each other's charges. */
const nextOrder = (): OrderId => {
  orders += 1;
  return orderId(`contract-${Date.now().toString(36)}-${orders}`);
};

const authorization = (order: OrderId, token: string, key: string, amount = eur(1000)): AuthorizeRequest => ({
  orderId: order,
  amount,
  token,
  idempotencyKey: key,
});

const approvedId = async (provider: PaymentProvider, order: OrderId, amount = eur(1000)): Promise<string> => {
  const answer = await provider.authorize(authorization(order, simulatedTokens.approve, `auth-${order}`, amount));
  if (answer.result !== 'approved') throw new Error(`expected an approval, got ${JSON.stringify(answer)}`);
  return answer.authorizationId;
};

/**
 * The payment-provider port's contract (ports/payment-provider.ts) for a provider that understands the simulator's
 * test tokens: every adapter (in process, over HTTP) answers the same, and the same idempotency key never moves
 * money twice. `make` gives a fresh provider per test.
 */
export const paymentProviderContract = (name: string, make: () => Promise<ProviderUnderTest>): void => {
  describe(`the payment provider contract: ${name}`, () => {
    let under: ProviderUnderTest;
    let provider: PaymentProvider;
    beforeEach(async () => {
      under = await make();
      provider = under.provider;
    });
    afterEach(async () => {
      await under.close?.();
    });

    const moved = (order: OrderId): readonly LedgerEntry[] => under.ledger().filter((e) => e.orderId === order);

    describe('authorizing', () => {
      it('approves an approving token with an authorization id', async () => {
        const order = nextOrder();
        const answer = await provider.authorize(authorization(order, simulatedTokens.approve, `k-${order}`));
        expect(answer.result).to.equal('approved');
        expect(answer.result === 'approved' && answer.authorizationId)
          .to.be.a('string')
          .and.not.equal('');
        expect(moved(order).map((e) => [e.kind, e.amount])).to.deep.equal([['authorized', eur(1000)]]);
      });

      it('declines a declining token with its code, and an unknown token as invalid_token', async () => {
        const order = nextOrder();
        expect(await provider.authorize(authorization(order, simulatedTokens.decline, `k1-${order}`))).to.deep.equal({
          result: 'declined',
          declineCode: 'card_declined',
        });
        expect(await provider.authorize(authorization(order, 'tok_nonsense', `k2-${order}`))).to.deep.equal({
          result: 'declined',
          declineCode: 'invalid_token',
        });
        expect(moved(order)).to.deep.equal([]);
      });

      it('answers a provider error for the error token, as a result and not a throw', async () => {
        const answer = await provider.authorize(
          authorization(nextOrder(), simulatedTokens.error, `k-error-${Date.now()}`),
        );
        expect(answer.result).to.equal('provider_error');
        expect(answer.result === 'provider_error' && answer.message)
          .to.be.a('string')
          .and.not.equal('');
      });

      it('gives the same answer to the same key, sequentially and concurrently, and authorizes once', async () => {
        const order = nextOrder();
        const request = authorization(order, simulatedTokens.approve, `k-${order}`);
        const first = await provider.authorize(request);
        const again = await Promise.all([provider.authorize(request), provider.authorize(request)]);
        expect(again).to.deep.equal([first, first]);
        expect(moved(order).filter((e) => e.kind === 'authorized')).to.have.length(1);
      });

      it('refuses a key reused for a different authorization, without charging', async () => {
        const order = nextOrder();
        await provider.authorize(authorization(order, simulatedTokens.approve, `k-${order}`));
        const reused = await provider.authorize(authorization(order, simulatedTokens.approve, `k-${order}`, eur(5)));
        expect(reused.result).to.equal('provider_error');
        expect(moved(order)).to.have.length(1);
      });
    });

    describe('capturing and voiding', () => {
      it('captures up to the authorized amount, once per key', async () => {
        const order = nextOrder();
        const authorizationId = await approvedId(provider, order);
        const capture = { orderId: order, authorizationId, amount: eur(1000), idempotencyKey: `cap-${order}` };
        expect(await provider.capture(capture)).to.deep.equal({ result: 'captured' });
        expect(await provider.capture(capture)).to.deep.equal({ result: 'captured' });
        expect(moved(order).filter((e) => e.kind === 'captured')).to.have.length(1);
      });

      it('refuses to capture more than was authorized', async () => {
        const order = nextOrder();
        const authorizationId = await approvedId(provider, order);
        const answer = await provider.capture({
          orderId: order,
          authorizationId,
          amount: eur(1001),
          idempotencyKey: `cap-${order}`,
        });
        expect(answer.result).to.equal('provider_error');
      });

      it('answers a provider error for an authorization it does not know (another order’s, or none)', async () => {
        const order = nextOrder();
        const other = nextOrder();
        const foreign = await approvedId(provider, other);
        const ofOther = await provider.capture({
          orderId: order,
          authorizationId: foreign,
          amount: eur(1000),
          idempotencyKey: `cap-${order}`,
        });
        expect(ofOther.result).to.equal('provider_error');
        const unknown = await provider.capture({
          orderId: other,
          authorizationId: 'auth_nobody_made',
          amount: eur(1000),
          idempotencyKey: `cap-${other}`,
        });
        expect(unknown.result).to.equal('provider_error');
        expect(
          (await provider.void({ orderId: order, authorizationId: foreign, idempotencyKey: `void-${order}` })).result,
        ).to.equal('provider_error');
        expect(moved(other).map((e) => e.kind)).to.deep.equal(['authorized']);
      });

      it('voids an authorization once, after which it cannot be captured', async () => {
        const order = nextOrder();
        const authorizationId = await approvedId(provider, order);
        const voiding = { orderId: order, authorizationId, idempotencyKey: `void-${order}` };
        expect(await provider.void(voiding)).to.deep.equal({ result: 'voided' });
        expect(await provider.void(voiding)).to.deep.equal({ result: 'voided' });
        const capture = await provider.capture({
          orderId: order,
          authorizationId,
          amount: eur(1000),
          idempotencyKey: `cap-${order}`,
        });
        expect(capture.result).to.equal('provider_error');
        expect(moved(order).map((e) => e.kind)).to.deep.equal(['authorized', 'voided']);
      });
    });

    describe('refunding', () => {
      const capturedOrder = async (): Promise<OrderId> => {
        const order = nextOrder();
        const authorizationId = await approvedId(provider, order);
        const captured = await provider.capture({
          orderId: order,
          authorizationId,
          amount: eur(1000),
          idempotencyKey: `cap-${order}`,
        });
        expect(captured.result).to.equal('captured');
        return order;
      };

      it('refunds once per key: a repeat gets the same refund id and moves no more money', async () => {
        const order = await capturedOrder();
        const refund = { orderId: order, refundId: refundId('r-1'), amount: eur(600), idempotencyKey: `ref-${order}` };
        const first = await provider.refund(refund);
        expect(first.result).to.equal('refunded');
        expect(await provider.refund(refund)).to.deep.equal(first);
        // only 600 left the charge: the remaining 400 can still be refunded, and not a cent more
        const rest = await provider.refund({
          ...refund,
          refundId: refundId('r-2'),
          amount: eur(400),
          idempotencyKey: `r2-${order}`,
        });
        expect(rest.result).to.equal('refunded');
        const beyond = await provider.refund({
          ...refund,
          refundId: refundId('r-3'),
          amount: eur(1),
          idempotencyKey: `r3-${order}`,
        });
        expect(beyond.result).to.equal('failed');
        expect(
          moved(order)
            .filter((e) => e.kind === 'refunded')
            .map((e) => e.amount.amount),
        ).to.deep.equal([600, 400]);
      });

      it('fails a refund beyond the charge, in another currency, or of an order never charged', async () => {
        const order = await capturedOrder();
        const over = await provider.refund({
          orderId: order,
          refundId: refundId('r-1'),
          amount: eur(1001),
          idempotencyKey: `over-${order}`,
        });
        expect(over.result).to.equal('failed');
        const dollars = await provider.refund({
          orderId: order,
          refundId: refundId('r-2'),
          amount: usd(10),
          idempotencyKey: `usd-${order}`,
        });
        expect(dollars.result).to.equal('failed');
        const never = await provider.refund({
          orderId: nextOrder(),
          refundId: refundId('r-3'),
          amount: eur(10),
          idempotencyKey: `never-${order}`,
        });
        expect(never.result).to.equal('failed');
        expect(moved(order).filter((e) => e.kind === 'refunded')).to.deep.equal([]);
      });
    });
  });
};
