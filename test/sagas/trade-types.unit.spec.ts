import { expect } from 'chai';
import {
  fulfilmentCancelReasons,
  fulfilmentDeadlineIds,
  fulfilmentSaga,
  type FulfilmentInput,
  type FulfilmentState,
} from '../../domain/sagas';
import { depositOf } from '../../domain/sagas/presale';
import { currency, money } from '../../domain/shared';
import { givenSaga } from '../saga-spec';
import {
  A,
  B,
  C,
  at,
  authorizationFailed,
  cancel,
  commit,
  config,
  customerCancelled,
  deadline,
  eur,
  order,
  rejected,
  release,
  reserved,
  timeoutAt,
  total,
} from './fixtures';
import {
  authorizeBalance,
  authorizeDeposit,
  balance,
  balanceAuthorized,
  balanceDeclined,
  balanceFailed,
  balanceRequested,
  balanceUntil,
  captureBalance,
  captureDeposit,
  codPlaced,
  confirmPaid,
  delivered,
  deliveryRefused,
  deposit,
  depositAuthorized,
  depositCaptured,
  depositDeclined,
  depositRefunded,
  inDays,
  presaleExpiresAt,
  presalePlaced,
  recordCash,
  recordDeposit,
  refundDeposit,
  reserveUntil,
  voidBalance,
} from './trade-fixtures';

const saga = fulfilmentSaga(config);
const given = givenSaga(saga);
const reasons = fulfilmentCancelReasons;
const statusOf = (state: FulfilmentState): string => state.status;
const linesOf = (state: FulfilmentState): Record<string, string> =>
  state.status === 'NotStarted' ? {} : Object.fromEntries(state.lines.map((l) => [l.sku, l.status]));
const balanceDeadline = fulfilmentDeadlineIds.balanceDeadline;

describe('the fulfilment saga with trade types', () => {
  describe('cash on delivery', () => {
    const codReserved: FulfilmentInput[] = [codPlaced, reserved(A), reserved(B)];
    const codConfirmed: FulfilmentInput[] = [...codReserved, reserved(C, at(2))];

    it('reserves every line as a standard order does', () => {
      given()
        .when(codPlaced)
        .thenSends(reserveUntil(A, plusTtl()), reserveUntil(B, plusTtl()), reserveUntil(C, plusTtl()))
        .thenRecords('FulfilmentStarted');
    });

    it('confirms the order with nothing paid once every line is held, without authorizing', () => {
      given(...codReserved)
        .when(reserved(C, at(2)))
        .thenRecords('CodConfirmed')
        .thenSends(confirmPaid(eur(0), at(2)))
        .thenCancels('payment-timeout')
        .thenState((s) => {
          expect(statusOf(s)).to.equal('Confirmed');
          expect(s.status === 'Confirmed' && s.paid).to.deep.equal(eur(0));
          expect(linesOf(s)).to.deep.equal({ A: 'reserved', B: 'reserved', C: 'reserved' });
          expect(s.status === 'Confirmed' && s.deadlines).to.deep.equal([]);
        });
    });

    it('has no payment timeout once confirmed', () => {
      given(...codConfirmed)
        .when(deadline('payment-timeout', timeoutAt))
        .thenIgnores();
    });

    it('commits nothing at shipment: the parcel may still be refused', () => {
      given(...codConfirmed)
        .when({ type: 'OrderShipped', orderId: order, at: inDays(1) })
        .thenIgnores();
    });

    it('commits the stock and records the cash when the order is delivered', () => {
      given(...codConfirmed)
        .when(delivered())
        .thenRecords('DeliveryRecorded')
        .thenSends(commit(A, inDays(3)), commit(B, inDays(3)), commit(C, inDays(3)), recordCash(total, inDays(3)))
        .thenState((s) => {
          expect(statusOf(s)).to.equal('Completed');
          expect(linesOf(s)).to.deep.equal({ A: 'committed', B: 'committed', C: 'committed' });
        });
    });

    it('commits after a shipment too, and ignores a second delivery', () => {
      const shipped: FulfilmentInput = { type: 'OrderShipped', orderId: order, at: inDays(1) };
      given(...codConfirmed, shipped)
        .when(delivered())
        .thenRecords('DeliveryRecorded');
      given(...codConfirmed, delivered())
        .when(delivered())
        .thenIgnores();
    });

    it('releases the stock when the delivery is refused; the order centre closed the order itself', () => {
      given(...codConfirmed)
        .when(deliveryRefused())
        .thenRecords('CompensationStarted')
        .thenSends(
          release(A, reasons.deliveryRefused, inDays(3)),
          release(B, reasons.deliveryRefused, inDays(3)),
          release(C, reasons.deliveryRefused, inDays(3)),
        )
        .thenState((s) => {
          expect(statusOf(s)).to.equal('Cancelled');
          expect(s.status === 'Cancelled' && s.reason).to.equal('delivery_refused');
        });
    });

    it('stays confirmed with its stock held when the order centre refused a delivery for another amount', () => {
      // DeliverOrder with collected ≠ total is a 422 of the order centre: no OrderDelivered reaches the saga, and a
      // later delivery of the right amount still completes it
      given(...codConfirmed)
        .when(delivered(total, inDays(4)))
        .thenRecords('DeliveryRecorded')
        .thenSends(commit(A, inDays(4)), commit(B, inDays(4)), commit(C, inDays(4)), recordCash(total, inDays(4)));
    });

    it('releases the stock of a COD order the customer cancels before delivery, voiding nothing', () => {
      given(...codConfirmed)
        .when(customerCancelled(eur(0), at(30)))
        .thenSends(
          release(A, customerCancelled().reason, at(30)),
          release(B, customerCancelled().reason, at(30)),
          release(C, customerCancelled().reason, at(30)),
        );
    });

    it('cancels as a standard order does when the stock is short', () => {
      given(codPlaced, reserved(A))
        .when(rejected('saga-fulfilment-o-1:reserve:B', 'InsufficientStock', at(2)))
        .thenSends(release(A, reasons.outOfStock, at(2)), cancel(reasons.outOfStock, at(2)));
    });
  });

  describe('a pre-sale', () => {
    const presaleReserved: FulfilmentInput[] = [presalePlaced(), reserved(A), reserved(B), reserved(C, at(2))];
    const depositPaid: FulfilmentInput[] = [...presaleReserved, depositAuthorized()];
    const balanceAsked: FulfilmentInput[] = [...depositPaid, balanceRequested(1)];

    it('computes the deposit from the basis points, rounded half-even', () => {
      const EUR = currency('EUR');
      expect(depositOf(money(1400, EUR), 3000)).to.deep.equal(money(420, EUR));
      expect(depositOf(money(25, EUR), 1000)).to.deep.equal(money(2, EUR)); // 2.5 → 2
      expect(depositOf(money(35, EUR), 1000)).to.deep.equal(money(4, EUR)); // 3.5 → 4
      expect(depositOf(money(3, EUR), 1)).to.deep.equal(money(1, EUR)); // never nothing
    });

    it('reserves the stock until after the balance window and sets the balance deadline', () => {
      given()
        .when(presalePlaced())
        .thenSends(
          reserveUntil(A, presaleExpiresAt),
          reserveUntil(B, presaleExpiresAt),
          reserveUntil(C, presaleExpiresAt),
        )
        .thenSchedules(
          { deadlineId: 'payment-timeout', dueAt: timeoutAt, kind: 'PaymentTimeout' },
          { deadlineId: balanceDeadline, dueAt: balanceUntil, kind: 'BalanceDeadline' },
        );
    });

    it('authorizes the deposit once every line is held', () => {
      given(presalePlaced(), reserved(A), reserved(B))
        .when(reserved(C, at(2)))
        .thenRecords('AuthorizationRequested')
        .thenSends(authorizeDeposit(1, at(2)));
    });

    it('captures the deposit, records it on the order and waits for the balance', () => {
      given(...presaleReserved)
        .when(depositAuthorized())
        .thenRecords('DepositApproved')
        .thenSends(captureDeposit(), recordDeposit())
        .thenCancels('payment-timeout')
        .thenState((s) => {
          expect(statusOf(s)).to.equal('AwaitingBalance');
          expect(s.status === 'AwaitingBalance' && s.deadlines.map((d) => d.deadlineId)).to.deep.equal([
            balanceDeadline,
          ]);
        });
    });

    it('needs nothing recorded for the deposit capture', () => {
      given(...depositPaid)
        .when(depositCaptured())
        .thenIgnores();
    });

    it('cancels at once when the deposit is declined, releasing the stock', () => {
      given(...presaleReserved)
        .when(depositDeclined())
        .thenSends(
          release(A, reasons.paymentDeclined, at(3)),
          release(B, reasons.paymentDeclined, at(3)),
          release(C, reasons.paymentDeclined, at(3)),
          cancel(reasons.paymentDeclined, at(3)),
        )
        .thenCancels('payment-timeout', balanceDeadline)
        .thenState((s) => expect(statusOf(s)).to.equal('Cancelled'));
    });

    it('retries the deposit after a provider error, for the deposit', () => {
      given(...presaleReserved, authorizationFailed(1))
        .when(deadline('authorization-retry-1', at(10)))
        .thenSends(authorizeDeposit(2, at(10)));
    });

    it('authorizes the balance with the token the customer gave', () => {
      given(...depositPaid)
        .when(balanceRequested(1))
        .thenRecords('BalanceAuthorizationRequested')
        .thenSends(authorizeBalance(1))
        .thenState((s) => expect(statusOf(s)).to.equal('AuthorizingBalance'));
    });

    it('confirms the order with deposit and balance paid when the balance is approved', () => {
      given(...balanceAsked)
        .when(balanceAuthorized())
        .thenRecords('BalanceApproved')
        .thenSends(confirmPaid(total, inDays(2)), captureBalance())
        .thenCancels(balanceDeadline)
        .thenState((s) => {
          expect(statusOf(s)).to.equal('Confirmed');
          expect(s.status === 'Confirmed' && s.paid).to.deep.equal(total);
          expect(s.status === 'Confirmed' && s.deadlines).to.deep.equal([]);
        });
    });

    it('leaves the window open after a declined balance, and confirms on another try', () => {
      const declinedOnce = [...balanceAsked, balanceDeclined()];
      given(...balanceAsked)
        .when(balanceDeclined())
        .thenRecords('BalanceAttemptFailed')
        .thenSendsNothing()
        .thenState((s) => expect(statusOf(s)).to.equal('AwaitingBalance'));
      given(...declinedOnce)
        .when(balanceRequested(2, inDays(3)))
        .thenSends(authorizeBalance(2, inDays(3)));
      given(...declinedOnce, balanceRequested(2, inDays(3)))
        .when(balanceAuthorized(inDays(3)))
        .thenSends(confirmPaid(total, inDays(3)), captureBalance(inDays(3)));
    });

    it('takes a provider error on the balance as a failed try', () => {
      given(...balanceAsked)
        .when(balanceFailed())
        .thenRecords('BalanceAttemptFailed')
        .thenState((s) => expect(statusOf(s)).to.equal('AwaitingBalance'));
    });

    it('does not take a second balance request while one is with the provider, nor one seen before', () => {
      given(...balanceAsked)
        .when(balanceRequested(2))
        .thenIgnores();
      given(...balanceAsked, balanceDeclined())
        .when(balanceRequested(1))
        .thenIgnores();
    });

    it('cancels at the deadline when the balance is late, keeping the deposit', () => {
      given(...depositPaid)
        .when(deadline(balanceDeadline, balanceUntil))
        .thenRecords('CompensationStarted')
        .thenSends(
          release(A, reasons.balanceNotPaid, balanceUntil),
          release(B, reasons.balanceNotPaid, balanceUntil),
          release(C, reasons.balanceNotPaid, balanceUntil),
          cancel(reasons.balanceNotPaid, balanceUntil),
        )
        .thenState((s) => {
          expect(statusOf(s)).to.equal('Cancelled');
          expect(s.status === 'Cancelled' && s.refund).to.equal(null);
        });
    });

    it('does not refund a kept deposit when its capture is seen again', () => {
      given(...depositPaid, deadline(balanceDeadline, balanceUntil))
        .when(depositCaptured(balanceUntil))
        .thenIgnores();
    });

    it('cancels at the deadline when the balance is late, refunding the deposit when the terms say so', () => {
      const refunding = [presalePlaced('refundDeposit'), reserved(A), reserved(B), reserved(C, at(2))];
      given(...refunding, depositAuthorized())
        .when(deadline(balanceDeadline, balanceUntil))
        .thenRecords('CompensationStarted', 'CaptureRefundRequested')
        .thenSends(
          release(A, reasons.balanceNotPaid, balanceUntil),
          release(B, reasons.balanceNotPaid, balanceUntil),
          release(C, reasons.balanceNotPaid, balanceUntil),
          cancel(reasons.balanceNotPaid, balanceUntil),
          refundDeposit(balanceUntil),
        )
        .thenState((s) => expect(statusOf(s)).to.equal('Compensating'));
      given(...refunding, depositAuthorized(), deadline(balanceDeadline, balanceUntil))
        .when(depositRefunded())
        .thenRecords('CaptureRefunded')
        .thenState((s) => expect(statusOf(s)).to.equal('Cancelled'));
    });

    it('voids a balance still with the provider at the deadline, and a late approval of it', () => {
      given(...balanceAsked)
        .when(deadline(balanceDeadline, balanceUntil))
        .thenSends(
          release(A, reasons.balanceNotPaid, balanceUntil),
          release(B, reasons.balanceNotPaid, balanceUntil),
          release(C, reasons.balanceNotPaid, balanceUntil),
          voidBalance(reasons.balanceNotPaid, balanceUntil),
          cancel(reasons.balanceNotPaid, balanceUntil),
        );
      given(...balanceAsked, deadline(balanceDeadline, balanceUntil))
        .when(balanceAuthorized(balanceUntil))
        .thenRecords('LateAuthorizationVoided')
        .thenSends({
          target: 'payment',
          commandId: 'saga-fulfilment-o-1:void-balance-late',
          command: {
            type: 'VoidPayment',
            orderId: order,
            reason: reasons.balanceNotPaid,
            part: 'balance',
            at: balanceUntil,
          },
        });
    });

    it('ignores the balance deadline once the balance is paid, or before it is due', () => {
      given(...balanceAsked, balanceAuthorized())
        .when(deadline(balanceDeadline, balanceUntil))
        .thenIgnores();
      given(...depositPaid)
        .when(deadline(balanceDeadline, inDays(9)))
        .thenIgnores();
    });

    it('refunds the deposit when the customer cancels while the balance is due', () => {
      given(...depositPaid)
        .when(customerCancelled(deposit, inDays(2)))
        .thenRecords('CompensationStarted', 'CaptureRefundRequested')
        .thenSends(
          release(A, customerCancelled().reason, inDays(2)),
          release(B, customerCancelled().reason, inDays(2)),
          release(C, customerCancelled().reason, inDays(2)),
          refundDeposit(inDays(2)),
        );
    });

    it('takes a balance refused by the payment centre as a failed try', () => {
      given(...balanceAsked)
        .when(rejected('saga-fulfilment-o-1:authorize-balance:1', 'DepositNotCaptured', inDays(2)))
        .thenRecords('CommandRejectionRecorded', 'BalanceAttemptFailed');
    });

    it('ships as a standard order once confirmed', () => {
      given(...balanceAsked, balanceAuthorized())
        .when({ type: 'OrderShipped', orderId: order, at: inDays(12) })
        .thenRecords('ShipmentRecorded')
        .thenSends(commit(A, inDays(12)), commit(B, inDays(12)), commit(C, inDays(12)));
    });

    it('names where it is for the read side', () => {
      expect(given(...depositPaid).state.status).to.equal('AwaitingBalance');
      expect(balance.amount + deposit.amount).to.equal(total.amount);
    });
  });
});

function plusTtl() {
  return at(config.reservationTtlMs / 1000);
}
