import { expect } from 'chai';
import type { IHeaders, Message } from 'kafkajs';
import {
  decodeMessage,
  encodeEvent,
  eventHeaders,
  partitionForKey,
  type ConsumedMessage,
} from '../../infra/kafka/codec';
import { centreOfStream, Topics } from '../../infra/kafka/topics';
import type { RecordedEvent } from '../../infra/ports/event-store';

const recorded: RecordedEvent = {
  eventId: '5b0c8a4e-8d2f-4c7e-9a57-1f6f3f3c2a10',
  type: 'OrderPlaced.v1',
  streamId: 'order-42',
  revision: 3,
  position: 1_234_567,
  data: { orderId: '42', total: { minor: 2500, currency: 'EUR' }, lines: [{ sku: 'SKU-1', quantity: 2 }], note: null },
  metadata: {
    commandId: 'cmd-1',
    causationId: 'cmd-0',
    correlationId: 'order-42',
    timestamp: '2024-05-01T12:00:00.000Z',
    schemaVersion: 1,
  },
};

/** What a consumer receives for a produced message: Buffers, and an offset. */
const asConsumed = (message: Message, offset = '7'): ConsumedMessage => {
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (typeof value === 'string') headers[name] = Buffer.from(value);
    else headers[name] = value;
  }
  const toBuffer = (value: Buffer | string | null | undefined): Buffer | null =>
    value === null || value === undefined ? null : Buffer.from(value);
  return { key: toBuffer(message.key), value: toBuffer(message.value), offset, headers };
};

const withHeader = (name: string, value: string | string[] | undefined): ConsumedMessage => {
  const message = encodeEvent(recorded);
  return asConsumed({ ...message, headers: { ...message.headers, [name]: value } });
};

const problemOf = (message: ConsumedMessage): string => {
  const decoded = decodeMessage('orders/1', message);
  if (decoded.ok) throw new Error('expected a malformed message');
  return decoded.error.message;
};

describe('the Kafka event codec', () => {
  describe('when an event is encoded and decoded again', () => {
    it('gives back the same recorded event', () => {
      const decoded = decodeMessage('orders/1', asConsumed(encodeEvent(recorded)));
      expect(decoded).to.deep.equal({ ok: true, event: recorded });
    });

    it('keys the message by stream id, with the data as JSON and the rest in readable headers', () => {
      const message = encodeEvent(recorded);
      expect(message.key).to.equal('order-42');
      expect(JSON.parse(String(message.value))).to.deep.equal(recorded.data);
      expect(message.headers).to.include({
        [eventHeaders.type]: 'OrderPlaced.v1',
        [eventHeaders.revision]: '3',
        [eventHeaders.position]: '1234567',
        [eventHeaders.causationId]: 'cmd-0',
        [eventHeaders.schemaVersion]: '1',
      });
    });

    it('keeps data that JSON cannot hold (undefined) as null, like the store does', () => {
      const decoded = decodeMessage('orders/1', asConsumed(encodeEvent({ ...recorded, data: undefined })));
      expect(decoded.ok && decoded.event.data).to.equal(null);
    });
  });

  describe('when a message is not a well-formed event', () => {
    it('names a missing header', () => {
      expect(problemOf(withHeader(eventHeaders.position, undefined))).to.match(
        /at orders\/1 offset 7: headers: position: is required/,
      );
    });

    it('rejects a revision that is not a decimal integer', () => {
      expect(problemOf(withHeader(eventHeaders.revision, '03'))).to.match(/revision: expected decimal integer ≥ 0/);
      expect(problemOf(withHeader(eventHeaders.revision, '-1'))).to.match(/revision/);
    });

    it('rejects position 0, which means "before the first event"', () => {
      expect(problemOf(withHeader(eventHeaders.position, '0'))).to.match(/position: expected decimal integer ≥ 1/);
    });

    it('rejects a header that appears twice', () => {
      expect(problemOf(withHeader(eventHeaders.type, ['A.v1', 'B.v1']))).to.match(/header event-type appears 2 times/);
    });

    it('rejects a key that is not the stream id', () => {
      const message = asConsumed({ ...encodeEvent(recorded), key: 'order-43' });
      expect(problemOf(message)).to.match(/key "order-43" is not the stream id order-42/);
    });

    it('rejects a value that is not JSON, and an empty value', () => {
      expect(problemOf(asConsumed({ ...encodeEvent(recorded), value: '{oops' }))).to.match(/the value is not JSON/);
      expect(problemOf(asConsumed({ ...encodeEvent(recorded), value: null }))).to.match(/the value is empty/);
    });
  });
});

describe('the centre topics', () => {
  it('route each stream by its prefix, and anything else to the other topic', () => {
    expect(
      ['order-1', 'sku-ABC', 'payment-1', 'saga-fulfilment-1', 'customer-9', 'orders-x'].map(centreOfStream),
    ).to.deep.equal(['orders', 'inventory', 'payments', 'sagas', 'other', 'other']);
  });

  it('carry the prefix in every name', () => {
    const topics = new Topics('tenant-a.');
    expect(topics.all).to.deep.equal([
      'tenant-a.orders',
      'tenant-a.inventory',
      'tenant-a.payments',
      'tenant-a.sagas',
      'tenant-a.other',
    ]);
    expect(topics.forStream('sku-1')).to.equal('tenant-a.inventory');
    expect(new Topics().forStream('order-1')).to.equal('orders');
  });

  it('refuse a prefix Kafka would not accept', () => {
    expect(() => new Topics('a/b')).to.throw(RangeError, /topic prefix/);
    expect(() => new Topics('x'.repeat(245))).to.throw(RangeError, /too long/);
  });
});

describe('the partition of a stream', () => {
  it('is the one Java clients pick (murmur2 of the key, made positive, modulo the partition count)', () => {
    // murmur2 values from Apache Kafka's own UtilsTest
    const javaHashes: readonly (readonly [string, number])[] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['abc', 479470107],
    ];
    for (const [key, hash] of javaHashes) {
      for (const count of [1, 3, 6, 7]) {
        expect(partitionForKey(key, count), `${key} over ${count}`).to.equal((hash & 0x7fffffff) % count);
      }
    }
  });

  it('spreads streams over every partition', () => {
    const used = new Set(Array.from({ length: 200 }, (_, i) => partitionForKey(`order-${i}`, 6)));
    expect([...used].sort()).to.deep.equal([0, 1, 2, 3, 4, 5]);
  });

  it('needs a positive partition count', () => {
    expect(() => partitionForKey('order-1', 0)).to.throw(RangeError);
  });
});
