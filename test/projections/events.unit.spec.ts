import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import { inventoryEvents } from '../../domain/inventory';
import { orderEvents } from '../../domain/order';
import { paymentEvents } from '../../domain/payment';
import type { StoredEventData } from '../../domain/shared';
import type { RecordedEvent } from '../../ports/event-store';
import { decodeDomainEvent } from '../../projections/events';
import { orderPlaced, paymentCaptured, stockReserved } from './fixtures';

const metadata = {
  commandId: 'cmd-1',
  causationId: 'cmd-1',
  correlationId: 'order-o-1',
  timestamp: '2026-03-01T10:00:00.000Z',
  schemaVersion: 1,
};

/** As the store hands it back: the data went through JSON. */
const recorded = (stored: StoredEventData, streamId = 'order-o-1'): RecordedEvent => ({
  eventId: '00000000-0000-4000-8000-000000000001',
  type: stored.type,
  data: JSON.parse(JSON.stringify(stored.data)) as unknown,
  metadata,
  streamId,
  revision: 3,
  position: 42,
});

describe('decoding a stored event for the projections', () => {
  describe('when its type is a registered domain event', () => {
    it('answers the decoded event with its stream, revision, position and metadata', () => {
      const placed = orderPlaced();
      const result = decodeDomainEvent(recorded(orderEvents.encode(placed)));
      expect(result).to.deep.equal(
        E.right({ event: placed, streamId: 'order-o-1', revision: 3, position: 42, metadata }),
      );
    });

    it('decodes events of every centre', () => {
      const reserved = stockReserved({ quantity: 2, available: 3 });
      const captured = paymentCaptured();
      const fromSku = decodeDomainEvent(recorded(inventoryEvents.encode(reserved), 'sku-A-1'));
      const fromPayment = decodeDomainEvent(recorded(paymentEvents.encode(captured), 'payment-o-1'));
      expect(
        pipe(
          fromSku,
          E.map(({ event }) => event),
        ),
      ).to.deep.equal(E.right(reserved));
      expect(
        pipe(
          fromPayment,
          E.map(({ event }) => event),
        ),
      ).to.deep.equal(E.right(captured));
    });
  });

  describe('when its type is not a domain event', () => {
    it('answers Left naming the type, so the worker can skip it', () => {
      const result = decodeDomainEvent(recorded({ type: 'FulfilmentSagaStarted.v1', data: { orderId: 'o-1' } }));
      expect(result).to.deep.equal(E.left('unknown event type FulfilmentSagaStarted.v1'));
    });
  });

  describe('when its data does not fit the codec', () => {
    it('answers Left naming the field', () => {
      const { data } = orderEvents.encode(orderPlaced());
      const broken = { ...(data as Record<string, unknown>), customerId: '' };
      const result = decodeDomainEvent(recorded({ type: 'OrderPlaced.v1', data: broken }));
      if (E.isRight(result)) return expect.fail('expected a decoding failure');
      expect(result.left).to.contain('OrderPlaced.v1').and.to.contain('customerId');
    });
  });
});
