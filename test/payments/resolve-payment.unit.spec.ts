import { expect } from 'chai';
import { paymentDecider, type PaymentEvent, type PaymentState } from '../../domain/payment';
import type { AuthorizePaymentRequest, RefundPaymentRequest } from '../../domain/sagas';
import { currency, fold, money, orderId, reason, refundId, timestamp, type Money } from '../../domain/shared';
import { resolvePayment } from '../../commands/sagas/resolve-payment';
import { SimulatedPaymentProvider } from '../../infra/payments';

const eur = (amount: number): Money => money(amount, currency('EUR'));
const o1 = orderId('o-1');
const at = timestamp('2026-03-01T10:00:00.000Z');
const noPayment: PaymentState = paymentDecider.initialState;
const stateAfter = (...events: PaymentEvent[]): PaymentState => fold(paymentDecider, events);

const authorizeRequest = (token = 'tok_approve'): AuthorizePaymentRequest => ({
  type: 'AuthorizePaymentRequest',
  orderId: o1,
  amount: eur(1000),
  token,
  at,
});
const refundRequest: RefundPaymentRequest = {
  type: 'RefundPaymentRequest',
  orderId: o1,
  refundId: refundId('r-1'),
  amount: eur(400),
  at,
};

const provider = (): SimulatedPaymentProvider => new SimulatedPaymentProvider({ sleep: () => Promise.resolve() });

describe('resolving a saga payment command through the provider', () => {
  it('asks the provider to authorize under the command id and carries its answer in the command', async () => {
    const sim = provider();
    const resolved = await resolvePayment(
      sim,
      { commandId: 'saga:authorize:1', command: authorizeRequest() },
      noPayment,
    );
    expect(resolved).to.deep.equal({
      kind: 'command',
      command: {
        type: 'AuthorizePayment',
        orderId: o1,
        amount: eur(1000),
        token: 'tok_approve',
        outcome: { result: 'approved', authorizationId: 'auth_sim_1' },
        at,
      },
    });
  });

  it('gets the same command again when re-sent after a crash, charging once', async () => {
    const sim = provider();
    const outgoing = { commandId: 'saga:authorize:1', command: authorizeRequest() };
    const first = await resolvePayment(sim, outgoing, noPayment);
    expect(await resolvePayment(sim, outgoing, noPayment)).to.deep.equal(first);
    expect(sim.ledger()).to.have.length(1);
  });

  it('does not ask the provider when the payment centre would refuse the command', async () => {
    const sim = provider();
    const declined = stateAfter({
      type: 'PaymentDeclined',
      orderId: o1,
      amount: eur(1000),
      declineCode: 'card_declined',
      at,
    });
    const resolved = await resolvePayment(sim, { commandId: 'c', command: authorizeRequest() }, declined);
    expect(resolved.kind === 'rejected' ? resolved.error.code : resolved.kind).to.equal('PaymentDeclined');
    expect(sim.ledger()).to.deep.equal([]);
  });

  it('has nothing to do when the payment is already authorized', async () => {
    const authorized = stateAfter({
      type: 'PaymentAuthorized',
      orderId: o1,
      amount: eur(1000),
      authorizationId: 'auth_x',
      at,
    });
    expect(await resolvePayment(provider(), { commandId: 'c', command: authorizeRequest() }, authorized)).to.deep.equal(
      {
        kind: 'nothing_to_do',
      },
    );
  });

  it('asks the provider to refund a captured payment and carries its answer in the command', async () => {
    const sim = provider();
    await sim.authorize({ orderId: o1, amount: eur(1000), token: 'tok_approve', idempotencyKey: 'a' });
    const captured = stateAfter(
      { type: 'PaymentAuthorized', orderId: o1, amount: eur(1000), authorizationId: 'auth_sim_1', at },
      { type: 'PaymentCaptured', orderId: o1, amount: eur(1000), at },
    );
    const resolved = await resolvePayment(sim, { commandId: 'saga:refund:1', command: refundRequest }, captured);
    expect(resolved).to.deep.equal({
      kind: 'command',
      command: {
        type: 'RefundPayment',
        orderId: o1,
        refundId: refundId('r-1'),
        amount: eur(400),
        outcome: { result: 'refunded', providerRefundId: 're_sim_2' },
        at,
      },
    });
  });

  it('refuses a refund of a payment that was never captured, without asking the provider', async () => {
    const resolved = await resolvePayment(provider(), { commandId: 'c', command: refundRequest }, noPayment);
    expect(resolved.kind === 'rejected' ? resolved.error.code : resolved.kind).to.equal('PaymentNotFound');
  });

  it('passes plain payment commands through', async () => {
    const command = { type: 'VoidPayment' as const, orderId: o1, reason: reason('payment_timeout'), at };
    expect(await resolvePayment(provider(), { commandId: 'c', command }, noPayment)).to.deep.equal({
      kind: 'command',
      command,
    });
  });

  it('refunds cash collected on delivery without asking the provider', async () => {
    const sim = provider();
    const paidInCash = stateAfter({ type: 'CashCollected', orderId: o1, amount: eur(1000), at });
    const resolved = await resolvePayment(sim, { commandId: 'saga:refund:1', command: refundRequest }, paidInCash);
    expect(resolved).to.deep.equal({
      kind: 'command',
      command: {
        type: 'RefundPayment',
        orderId: o1,
        refundId: refundId('r-1'),
        amount: eur(400),
        outcome: { result: 'refunded_in_cash' },
        at,
      },
    });
    expect(sim.ledger()).to.have.length(0);
  });

  it('asks the provider for a pre-sale balance under its own part', async () => {
    const sim = provider();
    const deposit = stateAfter(
      { type: 'PaymentAuthorized', orderId: o1, amount: eur(300), authorizationId: 'auth-d', part: 'deposit', at },
      { type: 'PaymentCaptured', orderId: o1, amount: eur(300), part: 'deposit', at },
    );
    const resolved = await resolvePayment(
      sim,
      { commandId: 'saga:authorize-balance:1', command: { ...authorizeRequest(), amount: eur(700), part: 'balance' } },
      deposit,
    );
    expect(resolved.kind === 'command' && resolved.command).to.include({ type: 'AuthorizePayment', part: 'balance' });
  });
});
