import { expect } from 'chai';
import { paymentsProjection } from '../../projections/payments/projection';
import { eventLog, givenProjection } from '../projection-spec';
import {
  O1,
  O2,
  R1,
  R2,
  at,
  eur,
  orderPlaced,
  paymentAuthorizationFailed,
  paymentAuthorized,
  paymentCaptured,
  paymentDeclined,
  paymentRefunded,
  paymentRefundFailed,
  paymentVoided,
  stockReserved,
  usd,
} from './fixtures';

const given = givenProjection(paymentsProjection);

describe('the payments projection', () => {
  describe('when a payment is authorized', () => {
    it('is Authorized for the amount, with nothing captured or refunded', () => {
      const log = eventLog();
      given(...log(paymentAuthorized({ amount: eur(2500), at: at(10, 2) }))).thenDocument(O1, (doc) => {
        expect(doc).to.deep.equal({
          orderId: O1,
          status: 'Authorized',
          currency: 'EUR',
          authorized: eur(2500),
          captured: eur(0),
          refunded: eur(0),
          failedAttempts: 0,
          refunds: [],
          updatedAt: at(10, 2),
        });
      });
    });

    it('declares the status as index', () => {
      expect(paymentsProjection.indexes).to.deep.equal(['status']);
    });
  });

  describe('when the provider fails before authorizing', () => {
    it('is Pending with the attempts and the last error, which stays after the authorization', () => {
      const log = eventLog();
      const failures = log(
        paymentAuthorizationFailed({ attempt: 1, message: 'timeout' }),
        paymentAuthorizationFailed({ attempt: 2, message: 'gateway down' }),
      );
      given(...failures).thenDocument(O1, (doc) => {
        expect(doc).to.include({ status: 'Pending', failedAttempts: 2, lastError: 'gateway down' });
      });
      given(...failures, ...log(paymentAuthorized())).thenDocument(O1, (doc) => {
        expect(doc).to.include({ status: 'Authorized', failedAttempts: 2, lastError: 'gateway down' });
      });
    });
  });

  describe('when the payment is declined', () => {
    it('is Declined with the decline code', () => {
      const log = eventLog();
      given(...log(paymentDeclined())).thenDocument(O1, (doc) => {
        expect(doc).to.include({ status: 'Declined', declineCode: 'card_declined' });
        expect(doc.authorized).to.deep.equal(eur(0));
      });
    });
  });

  describe('when the authorization is voided', () => {
    it('is Voided and still shows what had been authorized', () => {
      const log = eventLog();
      given(...log(paymentAuthorized(), paymentVoided())).thenDocument(O1, (doc) => {
        expect(doc.status).to.equal('Voided');
        expect(doc.authorized).to.deep.equal(eur(2500));
      });
    });
  });

  describe('when the payment is captured', () => {
    it('is Captured for the captured amount', () => {
      const log = eventLog();
      given(...log(paymentAuthorized({ amount: eur(2500) }), paymentCaptured({ amount: eur(2000) }))).thenDocument(
        O1,
        (doc) => {
          expect(doc.status).to.equal('Captured');
          expect(doc.captured).to.deep.equal(eur(2000));
        },
      );
    });

    it('ignores a capture without an authorization, as the aggregate does', () => {
      const log = eventLog();
      given(...log(paymentAuthorizationFailed(), paymentCaptured())).thenDocument(O1, (doc) => {
        expect(doc.status).to.equal('Pending');
        expect(doc.captured).to.deep.equal(eur(0));
      });
    });
  });

  describe('when money is refunded', () => {
    const log = eventLog();
    const captured = log(paymentAuthorized({ amount: eur(2500) }), paymentCaptured({ amount: eur(2500) }));

    it('is PartiallyRefunded until the captured amount went back, then Refunded', () => {
      const partial = log(paymentRefunded({ refundId: R1, amount: eur(1000) }));
      given(...captured, ...partial).thenDocument(O1, (doc) => {
        expect(doc.status).to.equal('PartiallyRefunded');
        expect(doc.refunded).to.deep.equal(eur(1000));
        expect(doc.refunds).to.deep.equal([{ refundId: R1, amount: eur(1000), status: 'Refunded' }]);
      });
      const rest = log(paymentRefunded({ refundId: R2, amount: eur(1500) }));
      given(...captured, ...partial, ...rest).thenDocument(O1, (doc) => {
        expect(doc.status).to.equal('Refunded');
        expect(doc.refunded).to.deep.equal(eur(2500));
        expect(doc.refunds.map((r) => r.refundId)).to.deep.equal([R1, R2]);
      });
    });

    it('shows a failed refund with the provider message, and its later success in the same entry', () => {
      const failed = log(paymentRefundFailed({ refundId: R1, amount: eur(1000) }));
      given(...captured, ...failed).thenDocument(O1, (doc) => {
        expect(doc.status).to.equal('Captured');
        expect(doc.lastError).to.equal('provider unavailable');
        expect(doc.refunds).to.deep.equal([
          { refundId: R1, amount: eur(1000), status: 'Failed', message: 'provider unavailable' },
        ]);
      });
      const retried = log(paymentRefunded({ refundId: R1, amount: eur(1000) }));
      given(...captured, ...failed, ...retried).thenDocument(O1, (doc) => {
        expect(doc.status).to.equal('PartiallyRefunded');
        expect(doc.refunds).to.deep.equal([{ refundId: R1, amount: eur(1000), status: 'Refunded' }]);
      });
    });

    it('ignores a failure reported for a refund already paid out', () => {
      const events = log(
        paymentRefunded({ refundId: R1, amount: eur(1000) }),
        paymentRefundFailed({ refundId: R1, amount: eur(1000) }),
      );
      given(...captured, ...events).thenDocument(O1, (doc) => {
        expect(doc.refunds).to.deep.equal([{ refundId: R1, amount: eur(1000), status: 'Refunded' }]);
        expect(doc).not.to.have.property('lastError');
      });
    });

    it('ignores a refund above what was captured, as the aggregate does', () => {
      given(...captured, ...log(paymentRefunded({ amount: eur(3000) }))).thenDocument(O1, (doc) => {
        expect(doc.status).to.equal('Captured');
        expect(doc.refunds).to.deep.equal([]);
      });
    });
  });

  describe('when payments of several orders move', () => {
    it('keeps one document per order, each in its own currency', () => {
      const log = eventLog();
      const then = given(
        ...log(paymentAuthorized({ orderId: O1 }), paymentAuthorized({ orderId: O2, amount: usd(900) })),
      );
      then.thenDocument(O2, (doc) => {
        expect(doc.currency).to.equal('USD');
        expect(doc.authorized).to.deep.equal(usd(900));
      });
      then.thenDocument(O1, (doc) => expect(doc.currency).to.equal('EUR'));
    });

    it('creates no document for order or stock events', () => {
      const log = eventLog();
      given(...log(orderPlaced(), stockReserved({ quantity: 1, available: 1 }))).thenNoDocument(O1);
    });
  });
});
