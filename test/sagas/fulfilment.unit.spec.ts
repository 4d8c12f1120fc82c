import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import {
  cancellationRefundId,
  fulfilmentCancelReasons,
  fulfilmentCommandIds,
  fulfilmentDeadlineIds,
  fulfilmentEvents,
  fulfilmentSaga,
  fulfilmentSagaId,
  fulfilmentStep,
  plusMs,
  stepSaga,
  type FulfilmentEvent,
  type FulfilmentInput,
  type FulfilmentState,
} from '../../domain/sagas';
import { orderId, reason, type Sku } from '../../domain/shared';
import { givenSaga, runSaga } from '../saga-spec';
import {
  A,
  B,
  C,
  at,
  authorizationFailed,
  authorize,
  authorized,
  cancel,
  capture,
  captured,
  commit,
  config,
  confirm,
  couponReserved,
  customerCancelled,
  deadline,
  declined,
  eur,
  order,
  placed,
  placedWithCoupon,
  redeemCoupon,
  refundCapture,
  refundFailed,
  refunded,
  rejected,
  release,
  releaseCoupon,
  reserve,
  reserveCoupon,
  reserved,
  sagaCancelled,
  timeoutAt,
  total,
  voidPayment,
} from './fixtures';
import {
  balanceAuthorized,
  balanceDeclined,
  balanceRequested,
  codPlaced,
  delivered,
  depositAuthorized,
  presalePlaced,
} from './trade-fixtures';

const saga = fulfilmentSaga(config);
const given = givenSaga(saga);
const reasons = fulfilmentCancelReasons;

const allReserved: FulfilmentInput[] = [placed, reserved(A), reserved(B), reserved(C, at(2))];
const paid: FulfilmentInput[] = [...allReserved, authorized(), captured()];
const confirmed: FulfilmentInput[] = paid;
const shipped: FulfilmentInput = { type: 'OrderShipped', orderId: order, at: at(100) };

const statusOf = (state: FulfilmentState): string => state.status;
const linesOf = (state: FulfilmentState): Record<string, string> =>
  state.status === 'NotStarted' ? {} : Object.fromEntries(state.lines.map((l) => [l.sku, l.status]));
const retryDeadline = (attempt: number) => fulfilmentDeadlineIds.authorizationRetry(attempt);

describe('the fulfilment saga', () => {
  it('keeps one stream per order', () => {
    expect(fulfilmentSagaId(order)).to.equal('saga-fulfilment-o-1');
  });

  it('refuses a configuration whose reservations would lapse before the payment timeout', () => {
    expect(() => fulfilmentSaga({ ...config, reservationTtlMs: config.paymentTimeoutMs })).to.throw(/reservationTtlMs/);
    expect(() => fulfilmentSaga({ ...config, retryBackoffMs: [] })).to.throw(/retryBackoffMs/);
  });

  describe('when the order is placed', () => {
    it('reserves every line until the reservation TTL', () => {
      given().when(placed).thenSends(reserve(A), reserve(B), reserve(C));
    });

    it('schedules the payment timeout', () => {
      given()
        .when(placed)
        .thenSchedules({ deadlineId: 'payment-timeout', dueAt: timeoutAt, kind: 'PaymentTimeout' })
        .thenState((s) => expect(statusOf(s)).to.equal('Reserving'));
    });

    it('ignores the same placement delivered again', () => {
      given(placed).when(placed).thenIgnores();
    });

    it('ignores facts about the order that arrive before it is placed', () => {
      given().when(reserved(A)).thenIgnores();
    });

    it('ignores facts about another order', () => {
      given(placed)
        .when({ ...reserved(A), orderId: orderId('o-2') })
        .thenIgnores();
    });
  });

  describe('while lines are being reserved', () => {
    it('waits until every line is reserved', () => {
      given(placed, reserved(A)).when(reserved(B)).thenRecords('LineReserved').thenSendsNothing();
    });

    it('asks for authorization of the total once the last line is reserved, which that request records', () => {
      given(placed, reserved(A), reserved(B))
        .when(reserved(C, at(2)))
        .thenRecords('AuthorizationRequested')
        .thenSends(authorize(1, at(2)))
        .thenState((s) => {
          expect(statusOf(s)).to.equal('Authorizing');
          expect(linesOf(s)).to.deep.equal({ A: 'reserved', B: 'reserved', C: 'reserved' });
        });
    });

    it('ignores a reservation delivered twice, so authorization is asked for once', () => {
      given(...allReserved)
        .when(reserved(B))
        .thenIgnores();
      given(placed, reserved(A)).when(reserved(A)).thenIgnores();
    });
  });

  describe('when the payment is approved', () => {
    it('confirms the order with the authorized amount and captures it: from then on the order is paid', () => {
      given(...allReserved)
        .when(authorized())
        .thenSends(confirm(), capture())
        .thenCancels('payment-timeout')
        .thenState((s) => {
          expect(statusOf(s)).to.equal('Confirmed');
          expect(saga.deadlines(s)).to.deep.equal([]);
        });
    });

    it('records nothing when the capture it sent lands', () => {
      given(...allReserved, authorized())
        .when(captured())
        .thenIgnores();
    });

    it('folds a stream written before ADR 0012 (every line, the confirmation and the capture recorded) alike', () => {
      const now = runSaga(saga, paid);
      const last = now.events[now.events.length - 1];
      const older: FulfilmentEvent[] = [
        ...now.events.filter((e) => e.type !== 'AuthorizationRequested' && e.type !== 'PaymentApproved'),
        { type: 'LineReserved', orderId: order, sku: C, at: at(2) },
        ...now.events.filter((e) => e.type === 'AuthorizationRequested' || e.type === 'PaymentApproved'),
        { type: 'OrderConfirmationRecorded', orderId: order, paid: total, at: at(4) },
        { type: 'CaptureRecorded', orderId: order, amount: total, at: at(4) },
      ];
      expect(last?.type).to.equal('PaymentApproved');
      const folded = older.reduce(saga.evolve, saga.initialState);
      expect(statusOf(folded)).to.equal('Confirmed');
      expect(linesOf(folded)).to.deep.equal(linesOf(now.state));
      expect(stepSaga(saga, folded, shipped).effects.commands).to.deep.equal(
        stepSaga(saga, now.state, shipped).effects.commands,
      );
    });

    it('ignores the approval delivered again', () => {
      given(...allReserved, authorized())
        .when(authorized())
        .thenIgnores();
    });

    it('ignores the capture delivered again', () => {
      given(...confirmed)
        .when(captured())
        .thenIgnores();
    });
  });

  describe('when the payment is declined', () => {
    it('releases every reservation and cancels the order as payment_declined, voiding nothing', () => {
      given(...allReserved)
        .when(declined())
        .thenSends(
          release(A, reasons.paymentDeclined, at(3)),
          release(B, reasons.paymentDeclined, at(3)),
          release(C, reasons.paymentDeclined, at(3)),
          cancel(reasons.paymentDeclined, at(3)),
        )
        .thenCancels('payment-timeout')
        .thenState((s) => {
          expect(statusOf(s)).to.equal('Cancelled');
          expect(linesOf(s)).to.deep.equal({ A: 'released', B: 'released', C: 'released' });
        });
    });

    it('ignores the decline delivered again', () => {
      given(...allReserved, declined())
        .when(declined())
        .thenIgnores();
    });

    it('ignores its own cancellation coming back', () => {
      given(...allReserved, declined())
        .when(sagaCancelled(reasons.paymentDeclined))
        .thenIgnores();
    });
  });

  describe('when one of three lines is out of stock', () => {
    const outOfStock = rejected(fulfilmentCommandIds.reserve(order, B), 'InsufficientStock', at(2));

    it('releases the line already reserved and cancels the order as out_of_stock', () => {
      given(placed, reserved(A))
        .when(outOfStock)
        .thenSends(release(A, reasons.outOfStock, at(2)), cancel(reasons.outOfStock, at(2)))
        .thenState((s) => {
          expect(statusOf(s)).to.equal('Cancelled');
          expect(linesOf(s)).to.deep.equal({ A: 'released', B: 'rejected', C: 'pending' });
          expect(s.status === 'NotStarted' ? null : s.lastError).to.match(/InsufficientStock/);
        });
    });

    it('releases a reservation of another line that lands afterwards', () => {
      given(placed, reserved(A), outOfStock)
        .when(reserved(C, at(3)))
        .thenSends(release(C, reasons.outOfStock, at(3)))
        .thenState((s) => expect(linesOf(s)).to.deep.equal({ A: 'released', B: 'rejected', C: 'released' }));
    });

    it('ignores the rejection fed back twice', () => {
      given(placed, reserved(A), outOfStock).when(outOfStock).thenIgnores();
    });

    it('releases units of the refused line that a reservation sent again holds after all (a refusal is not remembered)', () => {
      given(placed, reserved(A), outOfStock)
        .when(reserved(B, at(4)))
        .thenRecords('LateReservationReleased')
        .thenSends(release(B, reasons.outOfStock, at(4)))
        .thenState((s) => expect(linesOf(s)).to.deep.equal({ A: 'released', B: 'released', C: 'pending' }));
      given(placed, reserved(A), outOfStock, reserved(B, at(4)))
        .when(reserved(B, at(4)))
        .thenIgnores();
    });

    it('ignores a late reservation delivered again after it was released', () => {
      given(placed, reserved(A), outOfStock, reserved(C, at(3)))
        .when(reserved(C, at(3)))
        .thenIgnores();
    });

    it('cancels as reservation_failed when the reservation is refused for another reason', () => {
      given(placed)
        .when(rejected(fulfilmentCommandIds.reserve(order, C), 'SkuNotFound'))
        .thenSends(cancel(reasons.reservationFailed, at(1)));
    });

    it('does not ask for authorization when the other lines are reserved after the rejection', () => {
      const sent = runSaga(saga, [placed, outOfStock, reserved(A), reserved(C)]).sent;
      expect(sent.map((c) => c.command.type)).to.not.include('AuthorizePaymentRequest');
    });
  });

  describe('when the payment provider fails', () => {
    const firstFailure = authorizationFailed(1, at(3));

    it('schedules a retry after the first backoff', () => {
      given(...allReserved)
        .when(firstFailure)
        .thenSendsNothing()
        .thenSchedules({ deadlineId: retryDeadline(1), dueAt: plusMs(at(3), 1_000), kind: 'AuthorizationRetry' })
        .thenState((s) => {
          expect(statusOf(s)).to.equal('AwaitingRetry');
          expect(s.status === 'NotStarted' ? null : s.lastError).to.match(/gateway timeout/);
        });
    });

    it('asks again, as a new attempt, when the retry is due', () => {
      given(...allReserved, firstFailure)
        .when(deadline(retryDeadline(1), at(4)))
        .thenSends(authorize(2, at(4)))
        .thenCancels(retryDeadline(1))
        .thenState((s) => expect(statusOf(s)).to.equal('Authorizing'));
    });

    it('ignores a retry deadline that fires early or twice', () => {
      given(...allReserved, firstFailure)
        .when(deadline(retryDeadline(1), at(3)))
        .thenIgnores();
      given(...allReserved, firstFailure, deadline(retryDeadline(1), at(4)))
        .when(deadline(retryDeadline(1), at(5)))
        .thenIgnores();
    });

    it('confirms the order when a retry is approved', () => {
      given(...allReserved, firstFailure, deadline(retryDeadline(1), at(4)))
        .when(authorized(at(5)))
        .thenSends(confirm(at(5)), capture(at(5)))
        .thenCancels('payment-timeout');
    });

    it('ignores the failure of an earlier attempt delivered again', () => {
      given(...allReserved, firstFailure, deadline(retryDeadline(1), at(4)))
        .when(firstFailure)
        .thenIgnores();
    });

    it('gives up after the configured retries: releases, voids and cancels as payment_error', () => {
      const retried: FulfilmentInput[] = [
        ...allReserved,
        firstFailure,
        deadline(retryDeadline(1), at(4)),
        authorizationFailed(2, at(5)),
        deadline(retryDeadline(2), at(10)),
      ];
      given(...retried)
        .when(authorizationFailed(3, at(11)))
        .thenSends(
          release(A, reasons.paymentError, at(11)),
          release(B, reasons.paymentError, at(11)),
          release(C, reasons.paymentError, at(11)),
          voidPayment(reasons.paymentError, at(11)),
          cancel(reasons.paymentError, at(11)),
        )
        .thenSchedules()
        .thenState((s) => expect(statusOf(s)).to.equal('Cancelled'));
    });

    it('waits the second backoff before the second retry', () => {
      given(...allReserved, firstFailure, deadline(retryDeadline(1), at(4)))
        .when(authorizationFailed(2, at(5)))
        .thenSchedules({ deadlineId: retryDeadline(2), dueAt: plusMs(at(5), 5_000), kind: 'AuthorizationRetry' });
    });

    it('compensates when the authorization command itself is refused', () => {
      given(...allReserved)
        .when(rejected(fulfilmentCommandIds.authorize(order, 1), 'PaymentVoided', at(3)))
        .thenRecords('CommandRejectionRecorded', 'CompensationStarted')
        .thenSends(
          release(A, reasons.paymentError, at(3)),
          release(B, reasons.paymentError, at(3)),
          release(C, reasons.paymentError, at(3)),
          voidPayment(reasons.paymentError, at(3)),
          cancel(reasons.paymentError, at(3)),
        );
    });
  });

  describe('when the payment times out', () => {
    it('while still reserving: releases what is reserved and cancels as payment_timeout, voiding nothing', () => {
      given(placed, reserved(A))
        .when(deadline('payment-timeout', timeoutAt))
        .thenSends(release(A, reasons.paymentTimeout, timeoutAt), cancel(reasons.paymentTimeout, timeoutAt))
        .thenState((s) => expect(statusOf(s)).to.equal('Cancelled'));
    });

    it('while an authorization is outstanding: also voids it', () => {
      given(...allReserved)
        .when(deadline('payment-timeout', timeoutAt))
        .thenSends(
          release(A, reasons.paymentTimeout, timeoutAt),
          release(B, reasons.paymentTimeout, timeoutAt),
          release(C, reasons.paymentTimeout, timeoutAt),
          voidPayment(reasons.paymentTimeout, timeoutAt),
          cancel(reasons.paymentTimeout, timeoutAt),
        );
    });

    it('while waiting to retry: voids and drops the retry', () => {
      given(...allReserved, authorizationFailed(1, at(3)))
        .when(deadline('payment-timeout', timeoutAt))
        .thenCancels('payment-timeout', retryDeadline(1))
        .thenState((s) => expect(saga.deadlines(s)).to.deep.equal([]));
    });

    it('voids an approval that arrives after the timeout', () => {
      const late = plusMs(timeoutAt, 60_000);
      given(...allReserved, deadline('payment-timeout', timeoutAt))
        .when(authorized(late))
        .thenSends(voidPayment(reasons.paymentTimeout, late, true))
        .thenState((s) => expect(statusOf(s)).to.equal('Cancelled'));
    });

    it('voids a payment left pending by a provider error that arrives after the timeout', () => {
      const late = plusMs(timeoutAt, 60_000);
      given(...allReserved, deadline('payment-timeout', timeoutAt))
        .when(authorizationFailed(1, late))
        .thenSends(voidPayment(reasons.paymentTimeout, late, true));
      given(...allReserved, deadline('payment-timeout', timeoutAt), authorizationFailed(1, late))
        .when(authorizationFailed(1, late))
        .thenIgnores();
    });

    it('ignores the late approval delivered again', () => {
      const late = plusMs(timeoutAt, 60_000);
      given(...allReserved, deadline('payment-timeout', timeoutAt), authorized(late))
        .when(authorized(late))
        .thenIgnores();
    });

    it('ignores a timeout that fires before it is due', () => {
      given(...allReserved)
        .when(deadline('payment-timeout', at(60)))
        .thenIgnores();
    });

    it('ignores the timeout once the payment was approved', () => {
      given(...paid)
        .when(deadline('payment-timeout', timeoutAt))
        .thenIgnores();
    });

    it('ignores the timeout delivered again', () => {
      given(...allReserved, deadline('payment-timeout', timeoutAt))
        .when(deadline('payment-timeout', timeoutAt))
        .thenIgnores();
    });
  });

  describe('when the customer cancels before the order is confirmed', () => {
    const cancelled = customerCancelled(eur(0), at(3));

    it('releases what is reserved and voids the authorization, without cancelling again', () => {
      given(...allReserved)
        .when(cancelled)
        .thenSends(
          release(A, cancelled.reason, at(3)),
          release(B, cancelled.reason, at(3)),
          release(C, cancelled.reason, at(3)),
          voidPayment(cancelled.reason, at(3)),
        )
        .thenState((s) => {
          expect(statusOf(s)).to.equal('Cancelled');
          expect(s.status === 'Cancelled' ? s.by : null).to.equal('customer');
        });
    });

    it('while reserving: releases only what is reserved and voids nothing', () => {
      given(placed, reserved(A))
        .when(cancelled)
        .thenSends(release(A, cancelled.reason, at(3)));
    });

    it('after the capture landed: voids, and refunds once the payment centre refuses the void as captured', () => {
      given(...paid)
        .when(customerCancelled(eur(0), at(5)))
        .thenRecords('CompensationStarted')
        .thenSends(
          release(A, reason('changed my mind'), at(5)),
          release(B, reason('changed my mind'), at(5)),
          release(C, reason('changed my mind'), at(5)),
          voidPayment(reason('changed my mind'), at(5)),
        );
      given(...paid, customerCancelled(eur(0), at(5)))
        .when(rejected(fulfilmentCommandIds.void(order), 'AlreadyCaptured', at(6)))
        .thenRecords('CommandRejectionRecorded', 'CaptureRefundRequested')
        .thenSends(refundCapture(1, at(6)))
        .thenState((s) => expect(statusOf(s)).to.equal('Compensating'));
    });

    it('while confirming, before the capture: voids, and refunds a capture that still lands', () => {
      given(...allReserved, authorized())
        .when(customerCancelled(eur(0), at(4)))
        .thenSends(
          release(A, reason('changed my mind'), at(4)),
          release(B, reason('changed my mind'), at(4)),
          release(C, reason('changed my mind'), at(4)),
          voidPayment(reason('changed my mind'), at(4)),
        );
      given(...allReserved, authorized(), customerCancelled(eur(0), at(4)))
        .when(captured(at(5)))
        .thenSends(refundCapture(1, at(5)));
    });

    it('ignores the cancellation delivered again', () => {
      given(...allReserved, cancelled)
        .when(cancelled)
        .thenIgnores();
    });
  });

  describe('when the customer cancels after the order is confirmed', () => {
    const cancelled = customerCancelled(total, at(20));
    const voidRefused = rejected(fulfilmentCommandIds.void(order), 'AlreadyCaptured', at(20));

    it('releases every reservation and refunds the capture (its void refused) under the cancellation refund id', () => {
      given(...confirmed)
        .when(cancelled)
        .thenSends(
          release(A, cancelled.reason, at(20)),
          release(B, cancelled.reason, at(20)),
          release(C, cancelled.reason, at(20)),
          voidPayment(cancelled.reason, at(20)),
        );
      given(...confirmed, cancelled)
        .when(voidRefused)
        .thenSends(refundCapture(1, at(20)))
        .thenState((s) => {
          expect(statusOf(s)).to.equal('Compensating');
          expect(s.status === 'Compensating' ? s.refund?.refundId : null).to.equal(cancellationRefundId);
        });
    });

    it('is cancelled once the money is back', () => {
      given(...confirmed, cancelled, voidRefused)
        .when(refunded())
        .thenSendsNothing()
        .thenState((s) => expect(statusOf(s)).to.equal('Cancelled'));
    });

    it('ignores the refund delivered again', () => {
      given(...confirmed, cancelled, voidRefused, refunded())
        .when(refunded())
        .thenIgnores();
    });

    it('retries a failed refund after the backoff', () => {
      const retryId = fulfilmentDeadlineIds.captureRefundRetry(1);
      given(...confirmed, cancelled, voidRefused)
        .when(refundFailed(1))
        .thenSchedules({ deadlineId: retryId, dueAt: plusMs(at(10), 1_000), kind: 'CaptureRefundRetry' });
      given(...confirmed, cancelled, voidRefused, refundFailed(1))
        .when(deadline(retryId, at(11)))
        .thenSends(refundCapture(2, at(11)))
        .thenCancels(retryId);
    });

    it('needs an operator once the refund retries are used up', () => {
      given(
        ...confirmed,
        cancelled,
        voidRefused,
        refundFailed(1, at(21)),
        deadline(fulfilmentDeadlineIds.captureRefundRetry(1), at(22)),
        refundFailed(2, at(23)),
        deadline(fulfilmentDeadlineIds.captureRefundRetry(2), at(30)),
      )
        .when(refundFailed(3, at(31)))
        .thenSendsNothing()
        .thenSchedules()
        .thenState((s) => {
          expect(statusOf(s)).to.equal('Failed');
          expect(fulfilmentStep(s)).to.match(/needs an operator/);
        });
    });
  });

  describe('when the order ships', () => {
    it('commits every reservation and completes', () => {
      given(...confirmed)
        .when(shipped)
        .thenSends(commit(A, at(100)), commit(B, at(100)), commit(C, at(100)))
        .thenState((s) => {
          expect(statusOf(s)).to.equal('Completed');
          expect(linesOf(s)).to.deep.equal({ A: 'committed', B: 'committed', C: 'committed' });
        });
    });

    it('ignores the shipment delivered again', () => {
      given(...confirmed, shipped)
        .when(shipped)
        .thenIgnores();
    });

    it('ignores a shipment before the order is confirmed', () => {
      given(...allReserved)
        .when(shipped)
        .thenIgnores();
    });
  });

  describe('when a command is rejected', () => {
    const confirmRefused = rejected(fulfilmentCommandIds.confirm(order), 'OrderCancelled', at(4));

    it('records the rejection as the last error and waits for the facts that follow', () => {
      given(...paid)
        .when(confirmRefused)
        .thenRecords('CommandRejectionRecorded')
        .thenSendsNothing()
        .thenState((s) => expect(s.status === 'NotStarted' ? null : s.lastError).to.match(/OrderCancelled/));
    });

    it('ignores the rejection fed back twice', () => {
      given(...paid, confirmRefused)
        .when(confirmRefused)
        .thenIgnores();
    });
  });

  describe('any input delivered twice', () => {
    const stories: Record<string, FulfilmentInput[]> = {
      'a shipped order': [...confirmed, shipped],
      'an order out of stock': [
        placed,
        reserved(A),
        rejected(fulfilmentCommandIds.reserve(order, B), 'InsufficientStock'),
        reserved(C),
        sagaCancelled(reasons.outOfStock),
      ],
      'retries that time out': [
        ...allReserved,
        authorizationFailed(1),
        deadline(retryDeadline(1), at(10)),
        deadline('payment-timeout', timeoutAt),
        authorizationFailed(2, plusMs(timeoutAt, 1)),
      ],
      'retries used up': [
        ...allReserved,
        authorizationFailed(1),
        deadline(retryDeadline(1), at(10)),
        authorizationFailed(2, at(11)),
        deadline(retryDeadline(2), at(20)),
        authorizationFailed(3, at(21)),
        sagaCancelled(reasons.paymentError, at(22)),
      ],
      'a late approval': [...allReserved, deadline('payment-timeout', timeoutAt), authorized(plusMs(timeoutAt, 1))],
      'a cancellation after payment': [
        ...confirmed,
        customerCancelled(total, at(20)),
        refundFailed(1, at(21)),
        deadline(fulfilmentDeadlineIds.captureRefundRetry(1), at(22)),
        refunded(at(23)),
      ],
    };
    for (const [story, inputs] of Object.entries(stories)) {
      it(`changes nothing the second time, in ${story}`, () => {
        inputs.forEach((input, i) => {
          given(...inputs.slice(0, i + 1))
            .when(input)
            .thenIgnores();
        });
      });
    }
  });

  describe('its command ids', () => {
    const story: FulfilmentInput[] = [...confirmed, shipped];

    it('are the same however often the same facts are replayed', () => {
      expect(runSaga(saga, story).sent).to.deep.equal(runSaga(saga, story).sent);
    });

    it('name the saga and the step', () => {
      const sent = runSaga(saga, [...story, customerCancelled(total)]).sent.map((c) => c.commandId);
      expect(sent).to.deep.equal([
        'saga-fulfilment-o-1:reserve:A',
        'saga-fulfilment-o-1:reserve:B',
        'saga-fulfilment-o-1:reserve:C',
        'saga-fulfilment-o-1:authorize:1',
        'saga-fulfilment-o-1:confirm',
        'saga-fulfilment-o-1:capture',
        'saga-fulfilment-o-1:commit:A',
        'saga-fulfilment-o-1:commit:B',
        'saga-fulfilment-o-1:commit:C',
      ]);
    });

    it('never repeat within one saga for different commands', () => {
      const { sent } = runSaga(saga, [
        ...allReserved,
        authorizationFailed(1),
        deadline(retryDeadline(1), at(10)),
        authorizationFailed(2, at(11)),
        deadline(retryDeadline(2), at(20)),
        authorized(at(21)),
        customerCancelled(eur(0), at(22)),
        captured(at(23)),
      ]);
      const seen = new Map<string, string>();
      for (const c of sent) {
        const previous = seen.get(c.commandId);
        if (previous !== undefined) expect(JSON.stringify(c.command)).to.equal(previous);
        seen.set(c.commandId, JSON.stringify(c.command));
      }
      expect(seen.size).to.equal(sent.length);
    });
  });

  describe('when the order comes with a coupon', () => {
    const couponOf = (state: FulfilmentState): string | undefined =>
      state.status === 'NotStarted' ? undefined : state.coupon?.status;
    const linesHeld: FulfilmentInput[] = [placedWithCoupon, reserved(A), reserved(B), reserved(C, at(2))];
    const allHeld: FulfilmentInput[] = [...linesHeld, couponReserved(at(2))];

    it('reserves the coupon for the customer together with the stock', () => {
      given()
        .when(placedWithCoupon)
        .thenRecords('FulfilmentStarted')
        .thenSends(reserve(A), reserve(B), reserve(C), reserveCoupon())
        .thenState((s) => expect(couponOf(s)).to.equal('pending'));
    });

    it('waits for the coupon when every line is reserved', () => {
      given(placedWithCoupon, reserved(A), reserved(B))
        .when(reserved(C, at(2)))
        .thenRecords('LineReserved')
        .thenSendsNothing();
    });

    it('asks for authorization once the coupon is reserved last, which that request records', () => {
      given(...linesHeld)
        .when(couponReserved(at(2)))
        .thenRecords('AuthorizationRequested')
        .thenSends(authorize(1, at(2)))
        .thenState((s) => {
          expect(statusOf(s)).to.equal('Authorizing');
          expect(couponOf(s)).to.equal('reserved');
        });
    });

    it('records a coupon reserved before the last line, and authorizes on the last line', () => {
      given(placedWithCoupon, reserved(A))
        .when(couponReserved())
        .thenRecords('CouponHeld')
        .thenSendsNothing()
        .thenState((s) => expect(couponOf(s)).to.equal('reserved'));
      given(placedWithCoupon, couponReserved(), reserved(A), reserved(B))
        .when(reserved(C, at(2)))
        .thenRecords('AuthorizationRequested')
        .thenSends(authorize(1, at(2)));
    });

    it('ignores the coupon reservation delivered twice', () => {
      given(placedWithCoupon, couponReserved()).when(couponReserved()).thenIgnores();
      given(...allHeld)
        .when(couponReserved())
        .thenIgnores();
    });

    it('redeems the coupon with the confirmation and the capture once the payment is approved', () => {
      given(...allHeld)
        .when(authorized())
        .thenRecords('PaymentApproved')
        .thenSends(confirm(), capture(), redeemCoupon())
        .thenState((s) => {
          expect(statusOf(s)).to.equal('Confirmed');
          expect(couponOf(s)).to.equal('redeemed');
        });
    });

    for (const code of ['CouponExhausted', 'CouponNotFound', 'CouponCustomerLimitReached']) {
      it(`cancels the order as coupon_unavailable on ${code}, releasing the stock held`, () => {
        given(placedWithCoupon, reserved(A), reserved(B))
          .when(rejected(fulfilmentCommandIds.reserveCoupon(order), code))
          .thenRecords('CommandRejectionRecorded', 'CompensationStarted')
          .thenSends(
            release(A, reasons.couponUnavailable, at(1)),
            release(B, reasons.couponUnavailable, at(1)),
            cancel(reasons.couponUnavailable, at(1)),
          )
          .thenState((s) => {
            expect(statusOf(s)).to.equal('Cancelled');
            expect(couponOf(s)).to.equal('rejected');
          });
      });
    }

    it('cancels as reservation_failed on any other refusal of the coupon', () => {
      given(placedWithCoupon)
        .when(rejected(fulfilmentCommandIds.reserveCoupon(order), 'CouponReservationClosed'))
        .thenSends(cancel(reasons.reservationFailed, at(1)));
    });

    it('releases a line whose reservation lands after the coupon was refused', () => {
      given(placedWithCoupon, reserved(A), rejected(fulfilmentCommandIds.reserveCoupon(order), 'CouponExhausted'))
        .when(reserved(B, at(2)))
        .thenRecords('LateReservationReleased')
        .thenSends(release(B, reasons.couponUnavailable, at(2)));
    });

    it('releases a coupon use that a reservation sent again holds after the coupon was refused', () => {
      given(placedWithCoupon, reserved(A), rejected(fulfilmentCommandIds.reserveCoupon(order), 'CouponExhausted'))
        .when(couponReserved(at(6)))
        .thenRecords('LateCouponReleased')
        .thenSends(releaseCoupon(reasons.couponUnavailable, at(6)))
        .thenState((s) => expect(couponOf(s)).to.equal('released'));
    });

    it('ignores the same refusal of the coupon fed back twice', () => {
      given(placedWithCoupon, rejected(fulfilmentCommandIds.reserveCoupon(order), 'CouponExhausted'))
        .when(rejected(fulfilmentCommandIds.reserveCoupon(order), 'CouponExhausted'))
        .thenIgnores();
    });

    it('cancels as purchase_limit_exceeded when a line is over the customer limit, releasing the coupon and stock', () => {
      given(placedWithCoupon, couponReserved(), reserved(A))
        .when(rejected(fulfilmentCommandIds.reserve(order, B), 'PurchaseLimitExceeded'))
        .thenRecords('ReservationRejected', 'CompensationStarted')
        .thenSends(
          release(A, reasons.purchaseLimitExceeded, at(1)),
          releaseCoupon(reasons.purchaseLimitExceeded, at(1)),
          cancel(reasons.purchaseLimitExceeded, at(1)),
        )
        .thenState((s) => expect(couponOf(s)).to.equal('released'));
    });

    it('releases the reserved coupon when the customer cancels', () => {
      given(placedWithCoupon, couponReserved(), reserved(A))
        .when(customerCancelled())
        .thenSends(release(A, customerCancelled().reason, at(5)), releaseCoupon(customerCancelled().reason, at(5)));
    });

    it('releases a coupon still pending at the cancellation once its reservation lands', () => {
      given(placedWithCoupon, reserved(A))
        .when(customerCancelled())
        .thenSends(release(A, customerCancelled().reason, at(5)))
        .thenState((s) => expect(couponOf(s)).to.equal('pending'));
      given(placedWithCoupon, reserved(A), customerCancelled())
        .when(couponReserved(at(6)))
        .thenRecords('LateCouponReleased')
        .thenSends(releaseCoupon(customerCancelled().reason, at(6)))
        .thenState((s) => expect(couponOf(s)).to.equal('released'));
    });

    it('releases the coupon when the payment is declined or times out', () => {
      given(...allHeld)
        .when(declined())
        .thenSends(
          release(A, reasons.paymentDeclined, at(3)),
          release(B, reasons.paymentDeclined, at(3)),
          release(C, reasons.paymentDeclined, at(3)),
          releaseCoupon(reasons.paymentDeclined, at(3)),
          cancel(reasons.paymentDeclined, at(3)),
        );
      given(...allHeld)
        .when(deadline('payment-timeout', timeoutAt))
        .thenSends(
          release(A, reasons.paymentTimeout, timeoutAt),
          release(B, reasons.paymentTimeout, timeoutAt),
          release(C, reasons.paymentTimeout, timeoutAt),
          voidPayment(reasons.paymentTimeout, timeoutAt),
          releaseCoupon(reasons.paymentTimeout, timeoutAt),
          cancel(reasons.paymentTimeout, timeoutAt),
        );
    });

    it('gives the redeemed coupon back when the customer cancels the paid order', () => {
      given(...allHeld, authorized(), captured())
        .when(customerCancelled(total, at(20)))
        .thenSends(
          release(A, customerCancelled().reason, at(20)),
          release(B, customerCancelled().reason, at(20)),
          release(C, customerCancelled().reason, at(20)),
          voidPayment(customerCancelled().reason, at(20)),
          releaseCoupon(customerCancelled().reason, at(20)),
        );
    });

    it('keeps the coupon redeemed once the order shipped', () => {
      given(...allHeld, authorized(), captured(), shipped)
        .when(customerCancelled(total, at(200)))
        .thenIgnores();
    });

    it('says in its step that it waits for the coupon', () => {
      expect(fulfilmentStep(runSaga(saga, linesHeld).state)).to.equal('reserving stock (3 of 3 lines, coupon pending)');
    });
  });

  describe('when a line is over the customer purchase limit', () => {
    it('cancels the order as purchase_limit_exceeded, releasing what is held', () => {
      given(placed, reserved(A))
        .when(rejected(fulfilmentCommandIds.reserve(order, C), 'PurchaseLimitExceeded'))
        .thenSends(release(A, reasons.purchaseLimitExceeded, at(1)), cancel(reasons.purchaseLimitExceeded, at(1)));
    });
  });

  describe('a saga started before orders named their customer and coupon', () => {
    it('reserves without a customer and folds as before', () => {
      const started = runSaga(saga, [placed]).events[0];
      if (started?.type !== 'FulfilmentStarted') return expect.fail('the saga starts');
      const { customerId: _, ...old } = started;
      const effects = saga.outbox(old);
      const command = effects.commands[0]?.command;
      expect(command?.type === 'ReserveStock' && 'customerId' in command).to.equal(false);
      const state = saga.evolve(saga.initialState, old);
      expect(state.status === 'Reserving' && state.coupon).to.equal(null);
      expect(
        fulfilmentEvents.decode({ type: 'FulfilmentStarted.v1', data: JSON.parse(JSON.stringify(old)) }),
      ).to.deep.equal(E.right(old));
    });
  });

  describe('its events', () => {
    it('survive storage: every event of the stories above encodes and decodes to itself', () => {
      const stories: FulfilmentInput[][] = [
        [...confirmed, shipped],
        [placed, reserved(A), rejected(fulfilmentCommandIds.reserve(order, B), 'InsufficientStock'), reserved(C)],
        [...allReserved, authorizationFailed(1), deadline(retryDeadline(1), at(10)), authorizationFailed(2, at(11))],
        [...allReserved, deadline('payment-timeout', timeoutAt), authorized(plusMs(timeoutAt, 1))],
        [
          ...confirmed,
          customerCancelled(total, at(20)),
          rejected(fulfilmentCommandIds.void(order), 'AlreadyCaptured', at(20)),
          refundFailed(1),
          refunded(at(30)),
        ],
        [...paid, rejected(fulfilmentCommandIds.confirm(order), 'OrderCancelled')],
        [...allReserved, authorized(), customerCancelled(eur(0), at(4)), captured(at(5))],
        [placedWithCoupon, couponReserved(), reserved(A), reserved(B), reserved(C, at(2)), authorized()],
        [placedWithCoupon, reserved(A), customerCancelled(), couponReserved(at(6))],
        // the trade types' branches (trade-types.unit.spec.ts)
        [codPlaced, reserved(A), reserved(B), reserved(C, at(2)), delivered()],
        [
          presalePlaced(),
          reserved(A),
          reserved(B),
          reserved(C, at(2)),
          depositAuthorized(),
          balanceRequested(1),
          balanceDeclined(),
          balanceRequested(2),
          balanceAuthorized(),
        ],
      ];
      // recorded by streams written before ADR 0012 only
      const older: FulfilmentEvent[] = [{ type: 'OrderConfirmationRecorded', orderId: order, paid: total, at: at(4) }];
      const events: FulfilmentEvent[] = [...stories.flatMap((inputs) => runSaga(saga, inputs).events), ...older];
      const types = new Set(events.map((e) => e.type));
      expect(types.size).to.equal(fulfilmentEvents.storedTypes.length);
      for (const event of events) {
        const stored = fulfilmentEvents.encode(event);
        expect(stored.type).to.equal(`${event.type}.v1`);
        const decoded = fulfilmentEvents.decode(JSON.parse(JSON.stringify(stored)) as typeof stored);
        expect(decoded).to.deep.equal(E.right(event));
      }
    });

    it('rebuild the same state when folded again, as after a restart', () => {
      const { events, state } = runSaga(saga, [
        ...confirmed,
        customerCancelled(total, at(20)),
        rejected(fulfilmentCommandIds.void(order), 'AlreadyCaptured', at(20)),
        refundFailed(1),
      ]);
      expect(events.reduce(saga.evolve, saga.initialState)).to.deep.equal(state);
      expect(saga.deadlines(state).map((d) => d.deadlineId)).to.deep.equal(['capture-refund-retry-1']);
    });
  });

  it('describes every step for the read side', () => {
    const steps = [[], [placed], allReserved, confirmed, [...confirmed, shipped]].map((inputs) =>
      fulfilmentStep(runSaga(saga, inputs).state),
    );
    expect(new Set(steps).size).to.equal(steps.length);
    const skus: readonly Sku[] = [A, B, C];
    expect(steps[1]).to.equal(`reserving stock (0 of ${skus.length} lines)`);
  });
});
