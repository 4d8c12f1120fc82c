import { expect } from 'chai';
import fc from 'fast-check';
import { Partitioners, type IHeaders, type Message, type PartitionMetadata } from 'kafkajs';
import {
  decodeMessage,
  encodeEvent,
  encodeStored,
  envelopeCodec,
  eventTypeHeader,
  isEnvelope,
  legacyEventHeaders,
  partitionForKey,
  type ConsumedMessage,
} from '../../infra/kafka/codec';
import { centreOfStream, Topics } from '../../infra/kafka/topics';
import type { RecordedEvent } from '../../ports/event-store';
import { legacyMessage } from './legacy-format';

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

const problemOf = (message: ConsumedMessage): string => {
  const decoded = decodeMessage('orders/1', message);
  if (decoded.ok) throw new Error('expected a malformed message');
  return decoded.error.message;
};

/** `encodeEvent`'s message with its JSON value changed by `change`. */
const withValue = (change: (value: Record<string, unknown>) => void): ConsumedMessage => {
  const message = encodeEvent(recorded);
  const value = JSON.parse(String(message.value)) as Record<string, unknown>;
  change(value);
  return asConsumed({ ...message, value: JSON.stringify(value) });
};

const withLegacyHeader = (name: string, value: string | string[] | undefined): ConsumedMessage => {
  const message = legacyMessage(recorded);
  return asConsumed({ ...message, headers: { ...message.headers, [name]: value } });
};

describe('the Kafka event codec', () => {
  describe('when an event is encoded and decoded again', () => {
    it('gives back the same recorded event', () => {
      const decoded = decodeMessage('orders/1', asConsumed(encodeEvent(recorded)));
      expect(decoded).to.deep.equal({ ok: true, event: recorded });
    });

    it('keys the message by stream id, with the whole event as JSON and its type in the only header', () => {
      const message = encodeEvent(recorded);
      expect(message.key).to.equal('order-42');
      expect(JSON.parse(String(message.value))).to.deep.equal({
        type: recorded.type,
        streamId: recorded.streamId,
        revision: recorded.revision,
        position: recorded.position,
        eventId: recorded.eventId,
        metadata: recorded.metadata,
        data: recorded.data,
      });
      expect(message.headers).to.deep.equal({ [eventTypeHeader]: 'OrderPlaced.v1' });
    });

    it('carries only the fields of a recorded event', () => {
      const extra = { ...recorded, extra: 1, metadata: { ...recorded.metadata, extra: 2 } } as RecordedEvent;
      const decoded = decodeMessage('orders/1', asConsumed(encodeEvent(extra)));
      expect(decoded).to.deep.equal({ ok: true, event: recorded });
    });

    it('forwards the JSON text of a stored event as it is, and decodes it to the recorded event', () => {
      // as PostgreSQL gives a json column back: its own spacing and key order, and a request fingerprint
      const metadata =
        '{"timestamp": "2024-05-01T12:00:00.000Z", "commandId": "cmd-1", "causationId": "cmd-0", ' +
        '"correlationId": "order-42", "schemaVersion": 1, "requestFingerprint": "fp"}';
      const data =
        ' {"orderId": "42", "total": {"minor": 2500, "currency": "EUR"},\n' +
        ' "lines": [{"sku": "SKU-1", "quantity": 2}], "note": null} ';
      const message = encodeStored({ ...recorded, data, metadata });

      expect(String(message.value)).to.contain(`"metadata":${metadata},"data":${data}}`);
      expect(message.key).to.equal('order-42');
      expect(message.headers).to.deep.equal({ [eventTypeHeader]: 'OrderPlaced.v1' });
      expect(decodeMessage('orders/1', asConsumed(message))).to.deep.equal({ ok: true, event: recorded });
    });

    it('keeps data that JSON cannot hold (undefined) as null, like the store does', () => {
      const decoded = decodeMessage('orders/1', asConsumed(encodeEvent({ ...recorded, data: undefined })));
      expect(decoded.ok && decoded.event.data).to.equal(null);
    });

    it('checks a value with the io-ts envelope’s answer (the fast guard and the codec never disagree)', () => {
      const valid = JSON.parse(String(encodeEvent(recorded).value)) as Record<string, unknown>;
      const field = fc.constantFrom('type', 'streamId', 'revision', 'position', 'eventId', 'data', 'metadata');
      const metaField = fc.constantFrom('commandId', 'causationId', 'correlationId', 'timestamp', 'schemaVersion');
      const odd = fc.oneof(fc.jsonValue(), fc.constantFrom(undefined, '', 0, -1, 1, 1.5, 2 ** 53, '1', [], {}, null));
      const changed = fc.oneof(
        fc.jsonValue(),
        fc.tuple(field, odd).map(([name, value]) => ({ ...valid, [name]: value })),
        fc.tuple(metaField, odd).map(([name, value]) => ({
          ...valid,
          metadata: { ...(valid.metadata as object), [name]: value },
        })),
        field.map((name) => Object.fromEntries(Object.entries(valid).filter(([key]) => key !== name))),
      );
      fc.assert(
        fc.property(changed, (value) => {
          expect(isEnvelope(value), JSON.stringify(value)).to.equal(envelopeCodec.is(value));
        }),
        { numRuns: 2_000 },
      );
      expect(isEnvelope(valid)).to.equal(true);
    });

    it('decodes whatever event it encoded (any ids, text, integers and JSON data)', () => {
      const anEvent = fc.record({
        eventId: fc.string({ minLength: 1 }),
        type: fc.string({ minLength: 1 }),
        streamId: fc.string({ minLength: 1 }),
        revision: fc.maxSafeNat(),
        position: fc.maxSafeNat().map((n) => Math.max(1, n)),
        data: fc.jsonValue().map((value) => JSON.parse(JSON.stringify(value)) as unknown),
        metadata: fc.record({
          commandId: fc.string(),
          causationId: fc.string(),
          correlationId: fc.string(),
          timestamp: fc.string(),
          schemaVersion: fc.maxSafeNat(),
        }),
      });
      fc.assert(
        fc.property(anEvent, (event) => {
          expect(decodeMessage('orders/1', asConsumed(encodeEvent(event)))).to.deep.equal({ ok: true, event });
        }),
      );
    });
  });

  describe('when a message is not a well-formed event', () => {
    it('names a missing or wrong field of the value', () => {
      expect(problemOf(withValue((v) => delete v.position))).to.match(
        /at orders\/1 offset 7: value: position: is required/,
      );
      expect(problemOf(withValue((v) => delete v.data))).to.match(/value: data: is required/);
      expect(problemOf(withValue((v) => (v.metadata = { ...recorded.metadata, schemaVersion: '1' })))).to.match(
        /value: metadata\.schemaVersion: expected integer ≥ 0/,
      );
    });

    it('rejects a revision or position that is not a safe integer in range', () => {
      expect(problemOf(withValue((v) => (v.revision = 1.5)))).to.match(/revision: expected integer ≥ 0/);
      expect(problemOf(withValue((v) => (v.revision = -1)))).to.match(/revision/);
      expect(problemOf(withValue((v) => (v.revision = '3')))).to.match(/revision/);
      expect(problemOf(withValue((v) => (v.position = 2 ** 53)))).to.match(/position/);
    });

    it('rejects position 0, which means "before the first event"', () => {
      expect(problemOf(withValue((v) => (v.position = 0)))).to.match(/position: expected integer ≥ 1/);
    });

    it('rejects a missing, repeated or contradicting type header', () => {
      const message = encodeEvent(recorded);
      expect(problemOf(asConsumed({ ...message, headers: {} }))).to.match(/header event-type is missing/);
      expect(problemOf(asConsumed({ ...message, headers: { [eventTypeHeader]: ['A.v1', 'B.v1'] } }))).to.match(
        /header event-type appears 2 times/,
      );
      expect(problemOf(asConsumed({ ...message, headers: { [eventTypeHeader]: 'Other.v1' } }))).to.match(
        /header event-type "Other.v1" is not the type OrderPlaced.v1/,
      );
    });

    it('rejects a key that is not the stream id', () => {
      const message = asConsumed({ ...encodeEvent(recorded), key: 'order-43' });
      expect(problemOf(message)).to.match(/key "order-43" is not the stream id order-42/);
    });

    it('rejects a value that is not JSON, an empty value, and a value that is not an object', () => {
      expect(problemOf(asConsumed({ ...encodeEvent(recorded), value: '{oops' }))).to.match(/the value is not JSON/);
      expect(problemOf(asConsumed({ ...encodeEvent(recorded), value: null }))).to.match(/the value is empty/);
      expect(problemOf(asConsumed({ ...encodeEvent(recorded), value: '[]' }))).to.match(
        /value: \(root\): expected event object, got \[\]/,
      );
    });
  });

  describe('with messages in format 1 (one header per field), as older relays wrote them', () => {
    it('still decodes them to the same recorded event', () => {
      expect(decodeMessage('orders/1', asConsumed(legacyMessage(recorded)))).to.deep.equal({
        ok: true,
        event: recorded,
      });
      const noData = decodeMessage('orders/1', asConsumed(legacyMessage({ ...recorded, data: undefined })));
      expect(noData.ok && noData.event.data).to.equal(null);
    });

    it('names a missing header', () => {
      expect(problemOf(withLegacyHeader(legacyEventHeaders.position, undefined))).to.match(
        /at orders\/1 offset 7: headers: position: is required/,
      );
    });

    it('rejects a revision that is not a decimal integer, and position 0', () => {
      expect(problemOf(withLegacyHeader(legacyEventHeaders.revision, '03'))).to.match(
        /revision: expected decimal integer ≥ 0/,
      );
      expect(problemOf(withLegacyHeader(legacyEventHeaders.revision, '-1'))).to.match(/revision/);
      expect(problemOf(withLegacyHeader(legacyEventHeaders.position, '0'))).to.match(
        /position: expected decimal integer ≥ 1/,
      );
    });

    it('rejects a header that appears twice, a key that is not the stream id, and a value that is not JSON', () => {
      expect(problemOf(withLegacyHeader(legacyEventHeaders.type, ['A.v1', 'B.v1']))).to.match(
        /header event-type appears 2 times/,
      );
      expect(problemOf(asConsumed({ ...legacyMessage(recorded), key: 'order-43' }))).to.match(
        /key "order-43" is not the stream id order-42/,
      );
      expect(problemOf(asConsumed({ ...legacyMessage(recorded), value: '{oops' }))).to.match(/the value is not JSON/);
      expect(problemOf(asConsumed({ ...legacyMessage(recorded), value: null }))).to.match(/the value is empty/);
    });
  });
});

describe('the centre topics', () => {
  it('route each stream by its prefix, and anything else to the other topic', () => {
    expect(
      [
        'order-1',
        'sku-ABC',
        'payment-1',
        'promotions-default',
        'coupon-SPRING-10',
        'channels-default',
        'saga-fulfilment-1',
        'customer-9',
        'orders-x',
      ].map(centreOfStream),
    ).to.deep.equal([
      'orders',
      'inventory',
      'payments',
      'promotions',
      'coupons',
      'channels',
      'sagas',
      'other',
      'other',
    ]);
  });

  it('carry the prefix in every name', () => {
    const topics = new Topics('tenant-a.');
    expect(topics.all).to.deep.equal([
      'tenant-a.orders',
      'tenant-a.inventory',
      'tenant-a.payments',
      'tenant-a.promotions',
      'tenant-a.coupons',
      'tenant-a.channels',
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

  it("is the one kafkajs's default partitioner picks, for any key (multi-byte UTF-8 too) and partition count", () => {
    const kafkajsPartitioner = Partitioners.DefaultPartitioner();
    const metadata = (count: number): PartitionMetadata[] =>
      Array.from({ length: count }, (_, partitionId) => ({
        partitionErrorCode: 0,
        partitionId,
        leader: 0,
        replicas: [0],
        isr: [0],
      }));
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary', maxLength: 300 })),
        fc.integer({ min: 1, max: 64 }),
        (key, count) => {
          const expected = kafkajsPartitioner({
            topic: 't',
            partitionMetadata: metadata(count),
            message: { key, value: null },
          });
          expect(partitionForKey(key, count)).to.equal(expected);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('spreads streams over every partition', () => {
    const used = new Set(Array.from({ length: 200 }, (_, i) => partitionForKey(`order-${i}`, 6)));
    expect([...used].sort()).to.deep.equal([0, 1, 2, 3, 4, 5]);
  });

  it('needs a positive partition count', () => {
    expect(() => partitionForKey('order-1', 0)).to.throw(RangeError);
  });
});
