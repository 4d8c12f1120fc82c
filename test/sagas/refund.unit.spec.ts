import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import type { RefundRequested } from '../../domain/order';
import type { PaymentRefunded, PaymentRefundFailed } from '../../domain/payment';
import {
  plusMs,
  refundCommandIds,
  refundDeadlineId,
  refundSaga,
  refundSagaEvents,
  refundSagaId,
  refundStep,
  type OutgoingCommand,
  type RefundInput,
  type RefundSagaEvent,
  type RefundSagaState,
} from '../../domain/sagas';
import { quantity, reason, refundId, type Money, type Timestamp } from '../../domain/shared';
import { givenSaga, runSaga } from '../saga-spec';
import { A, B, at, deadline, eur, order, placed, rejected } from './fixtures';

const saga = refundSaga({ maxProviderRetries: 2, retryBackoffMs: [1_000, 5_000] });
const given = givenSaga(saga);
const r1 = refundId('r-1');
const sagaId = refundSagaId(order, r1);

const requested = (
  overrides: Partial<Pick<RefundRequested, 'scope' | 'amount' | 'lines' | 'restock' | 'customerId'>> = {},
): RefundRequested => ({
  type: 'RefundRequested',
  orderId: order,
  refundId: r1,
  scope: 'Whole',
  amount: eur(1400),
  lines: [
    { sku: A, quantity: quantity(1) },
    { sku: B, quantity: quantity(2) },
  ],
  reason: reason('arrived broken'),
  restock: true,
  at: at(0),
  ...overrides,
});

const paidOut = (when = at(2), id = r1): PaymentRefunded => ({
  type: 'PaymentRefunded',
  orderId: order,
  refundId: id,
  amount: eur(1400),
  providerRefundId: 're_9',
  at: when,
});

const failed = (attempt: number, when = at(2)): PaymentRefundFailed => ({
  type: 'PaymentRefundFailed',
  orderId: order,
  refundId: r1,
  amount: eur(1400),
  message: 'insufficient balance',
  attempt,
  at: when,
});

const refundRequest = (attempt: number, when: Timestamp, amount: Money = eur(1400)): OutgoingCommand => ({
  target: 'payment',
  commandId: refundCommandIds.refund(order, r1, attempt),
  command: { type: 'RefundPaymentRequest', orderId: order, refundId: r1, amount, at: when },
});

const restock = (sku: typeof A, qty: number, when: Timestamp): OutgoingCommand => ({
  target: 'inventory',
  commandId: refundCommandIds.restock(order, r1, sku),
  command: {
    type: 'RestockSku',
    sku,
    quantity: quantity(qty),
    orderId: order,
    reason: reason('returned with refund r-1'),
    at: when,
  },
});

const complete = (when: Timestamp): OutgoingCommand => ({
  target: 'order',
  commandId: refundCommandIds.complete(order, r1),
  command: { type: 'CompleteRefund', orderId: order, refundId: r1, at: when },
});

const customer = placed.customerId;
const byCustomer = (overrides: Parameters<typeof requested>[0] = {}): RefundRequested =>
  requested({ customerId: customer, ...overrides });

const returnPurchase = (sku: typeof A, qty: number, when: Timestamp): OutgoingCommand => ({
  target: 'inventory',
  commandId: refundCommandIds.returnPurchase(order, r1, sku),
  command: { type: 'ReturnPurchase', sku, orderId: order, customerId: customer, quantity: quantity(qty), at: when },
});

const statusOf = (state: RefundSagaState): string => state.status;
const retry = (attempt: number) => refundDeadlineId(attempt);

describe('the refund saga', () => {
  it('keeps one stream per refund of an order', () => {
    expect(sagaId).to.equal('saga-refund-o-1/r-1');
  });

  describe('when a refund is requested', () => {
    it('asks the provider to refund the amount', () => {
      given()
        .when(requested())
        .thenSends(refundRequest(1, at(0)))
        .thenState((s) => expect(statusOf(s)).to.equal('Refunding'));
    });

    it('ignores the request delivered again', () => {
      given(requested()).when(requested()).thenIgnores();
    });

    it('ignores payment facts that arrive before the request', () => {
      given().when(paidOut()).thenIgnores();
    });
  });

  describe('when the money is refunded', () => {
    it('restocks the returned lines and completes the refund on the order', () => {
      given(requested())
        .when(paidOut())
        .thenSends(restock(A, 1, at(2)), restock(B, 2, at(2)), complete(at(2)))
        .thenState((s) => {
          expect(statusOf(s)).to.equal('Completed');
          expect(refundStep(s)).to.equal('refunded and restocked');
        });
    });

    it('of a partial refund without restock: only completes the refund', () => {
      given(requested({ scope: 'Lines', amount: eur(200), lines: [{ sku: B, quantity: quantity(2) }], restock: false }))
        .when(paidOut())
        .thenSends(complete(at(2)));
    });

    it('of a partial refund with restock: restocks just the returned line', () => {
      given(requested({ scope: 'Lines', amount: eur(200), lines: [{ sku: B, quantity: quantity(2) }] }))
        .when(paidOut())
        .thenSends(restock(B, 2, at(2)), complete(at(2)));
    });

    it('of a refund by amount: completes it, with nothing to restock', () => {
      given(requested({ scope: 'Amount', amount: eur(500), lines: [], restock: false }))
        .when(paidOut())
        .thenSends(complete(at(2)));
    });

    it('of a full refund without restock: completes it, the customer keeps the goods', () => {
      given(requested({ restock: false }))
        .when(paidOut())
        .thenSends(complete(at(2)))
        .thenState((s) => expect(refundStep(s)).to.equal('refunded'));
    });

    it('ignores the refund delivered again', () => {
      given(requested(), paidOut()).when(paidOut()).thenIgnores();
    });

    it('ignores the refund of another refund id', () => {
      given(requested())
        .when(paidOut(at(2), refundId('r-2')))
        .thenIgnores();
    });
  });

  describe("freeing the customer's purchase limits", () => {
    it('frees every refunded line once the money is back', () => {
      given(byCustomer())
        .when(paidOut())
        .thenSends(
          restock(A, 1, at(2)),
          restock(B, 2, at(2)),
          returnPurchase(A, 1, at(2)),
          returnPurchase(B, 2, at(2)),
          complete(at(2)),
        );
    });

    it('frees the refunded units also when they are not restocked', () => {
      given(
        byCustomer({ scope: 'Lines', amount: eur(200), lines: [{ sku: B, quantity: quantity(2) }], restock: false }),
      )
        .when(paidOut())
        .thenSends(returnPurchase(B, 2, at(2)), complete(at(2)));
    });

    it('frees nothing while the money is not back yet', () => {
      given()
        .when(byCustomer())
        .thenSends(refundRequest(1, at(0)));
    });

    it('frees nothing when the refund fails for good: the customer keeps what was paid for', () => {
      const { sent } = runSaga(saga, [
        byCustomer(),
        failed(1),
        deadline(retry(1), at(3)),
        failed(2, at(4)),
        deadline(retry(2), at(10)),
        failed(3, at(11)),
      ]);
      expect(sent.filter((c) => c.command.type === 'ReturnPurchase')).to.deep.equal([]);
    });

    it('frees nothing on a refund by amount, which names no units', () => {
      given(byCustomer({ scope: 'Amount', amount: eur(500), lines: [], restock: false }))
        .when(paidOut())
        .thenSends(complete(at(2)));
    });

    it('frees nothing for a refund requested before refunds named the customer', () => {
      given(requested({ restock: false }))
        .when(paidOut())
        .thenSends(complete(at(2)));
    });
  });

  describe('when the provider fails the refund', () => {
    it('retries after the backoff, as a new attempt', () => {
      given(requested())
        .when(failed(1))
        .thenSendsNothing()
        .thenSchedules({ deadlineId: retry(1), dueAt: plusMs(at(2), 1_000), kind: 'RefundRetry' })
        .thenState((s) => expect(statusOf(s)).to.equal('AwaitingRetry'));
      given(requested(), failed(1))
        .when(deadline(retry(1), at(3)))
        .thenSends(refundRequest(2, at(3)))
        .thenCancels(retry(1));
    });

    it('completes when a retry succeeds', () => {
      given(requested(), failed(1), deadline(retry(1), at(3)))
        .when(paidOut(at(4)))
        .thenSends(restock(A, 1, at(4)), restock(B, 2, at(4)), complete(at(4)));
    });

    it('ignores a retry deadline that fires early or twice', () => {
      given(requested(), failed(1))
        .when(deadline(retry(1), at(2)))
        .thenIgnores();
      given(requested(), failed(1), deadline(retry(1), at(3)))
        .when(deadline(retry(1), at(4)))
        .thenIgnores();
    });

    it('ignores the failure of an earlier attempt delivered again', () => {
      given(requested(), failed(1), deadline(retry(1), at(3)))
        .when(failed(1))
        .thenIgnores();
    });

    it('records the refund as failed, with the reason, once the retries are used up', () => {
      given(requested(), failed(1), deadline(retry(1), at(3)), failed(2, at(4)), deadline(retry(2), at(10)))
        .when(failed(3, at(11)))
        .thenSends({
          target: 'order',
          commandId: refundCommandIds.fail(order, r1),
          command: {
            type: 'FailRefund',
            orderId: order,
            refundId: r1,
            reason: reason('payment refund failed after 3 attempts: insufficient balance'),
            at: at(11),
          },
        })
        .thenState((s) => expect(statusOf(s)).to.equal('Failed'));
    });

    it('ignores the last failure delivered again', () => {
      const exhausted: RefundInput[] = [
        requested(),
        failed(1),
        deadline(retry(1), at(3)),
        failed(2, at(4)),
        deadline(retry(2), at(10)),
        failed(3, at(11)),
      ];
      given(...exhausted)
        .when(failed(3, at(11)))
        .thenIgnores();
    });
  });

  describe('when the refund command is rejected', () => {
    const refused = rejected(refundCommandIds.refund(order, r1, 1), 'PaymentNotCaptured', at(1));

    it('counts it as a failed attempt and retries, since the capture may still be on its way', () => {
      given(requested())
        .when(refused)
        .thenRecords('RefundCommandRejected', 'RefundAttemptFailed')
        .thenSchedules({ deadlineId: retry(1), dueAt: plusMs(at(1), 1_000), kind: 'RefundRetry' });
    });

    it('ignores the rejection fed back twice', () => {
      given(requested(), refused).when(refused).thenIgnores();
    });

    it('only records the rejection of a restock', () => {
      given(requested(), paidOut())
        .when(rejected(refundCommandIds.restock(order, r1, A), 'SkuNotFound'))
        .thenRecords('RefundCommandRejected')
        .thenSendsNothing()
        .thenState((s) => expect(statusOf(s)).to.equal('Completed'));
    });
  });

  it('changes nothing when any input is delivered twice', () => {
    const stories: RefundInput[][] = [
      [requested(), failed(1), deadline(retry(1), at(3)), paidOut(at(4))],
      [requested(), rejected(refundCommandIds.refund(order, r1, 1), 'PaymentNotCaptured'), deadline(retry(1), at(3))],
      [
        requested(),
        failed(1),
        deadline(retry(1), at(3)),
        failed(2, at(4)),
        deadline(retry(2), at(10)),
        failed(3, at(11)),
      ],
    ];
    for (const inputs of stories) {
      inputs.forEach((input, i) => {
        given(...inputs.slice(0, i + 1))
          .when(input)
          .thenIgnores();
      });
    }
  });

  describe('its events and command ids', () => {
    const story: RefundInput[] = [
      requested(),
      rejected(refundCommandIds.refund(order, r1, 1), 'PaymentNotCaptured', at(1)),
      deadline(retry(1), at(3)),
      failed(2, at(4)),
      deadline(retry(2), at(10)),
      paidOut(at(11)),
    ];

    it('are deterministic', () => {
      expect(runSaga(saga, story).sent).to.deep.equal(runSaga(saga, story).sent);
      expect(runSaga(saga, story).sent.map((c) => c.commandId)).to.deep.equal([
        'saga-refund-o-1/r-1:refund:1',
        'saga-refund-o-1/r-1:refund:2',
        'saga-refund-o-1/r-1:refund:3',
        'saga-refund-o-1/r-1:restock:A',
        'saga-refund-o-1/r-1:restock:B',
        'saga-refund-o-1/r-1:complete',
      ]);
    });

    it('survive storage', () => {
      const events: RefundSagaEvent[] = [
        ...runSaga(saga, story).events,
        ...runSaga(saga, [byCustomer(), paidOut()]).events,
        ...runSaga(saga, [
          requested(),
          failed(1),
          deadline(retry(1), at(3)),
          failed(2),
          deadline(retry(2), at(9)),
          failed(3),
        ]).events,
      ];
      expect(new Set(events.map((e) => e.type)).size).to.equal(refundSagaEvents.storedTypes.length);
      for (const event of events) {
        const stored = refundSagaEvents.encode(event);
        expect(refundSagaEvents.decode(JSON.parse(JSON.stringify(stored)) as typeof stored)).to.deep.equal(
          E.right(event),
        );
      }
    });
  });
});
