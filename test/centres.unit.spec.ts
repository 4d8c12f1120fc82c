import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeCentreEvent } from '../commands/sagas/definitions';
import { centres, domainEventTypesOf } from '../domain/centres';
import { Topics, centreOfStream } from '../infra/kafka/topics';
import { decodeDomainEvent } from '../projections/events';
import type { RecordedEvent } from '../ports/event-store';
import { importGraph, layers } from './architecture';

const root = join(__dirname, '..');

const stored = (type: string): RecordedEvent => ({
  eventId: 'e-1',
  type,
  data: {},
  metadata: {
    commandId: 'c',
    causationId: 'c',
    correlationId: 'c',
    timestamp: '2026-03-01T10:00:00.000Z',
    schemaVersion: 1,
  },
  streamId: 'any-1',
  revision: 0,
  position: 1,
});

describe('the centres, listed once in domain/centres.ts', () => {
  for (const centre of centres) {
    describe(`the ${centre.name} centre`, () => {
      it('has its streams routed to its own Kafka topic, which the topic list holds', () => {
        const topics = new Topics('t.');
        expect(centreOfStream(`${centre.streamPrefix}x-1`)).to.equal(centre.topic);
        expect(topics.forStream(`${centre.streamPrefix}x-1`)).to.equal(`t.${centre.topic}`);
        expect(topics.all).to.include(`t.${centre.topic}`);
      });

      it('has every stored event type known to the projections and the sagas (bad data is a decode error, not an unknown type)', () => {
        expect(domainEventTypesOf(centre)).not.to.be.empty;
        for (const type of centre.events.readableTypes.keys()) {
          const projected = decodeDomainEvent(stored(type));
          expect(E.isLeft(projected) ? projected.left : '', type).not.to.match(/unknown event type/);
          expect(decodeCentreEvent(stored(type)), type).not.to.equal(undefined);
        }
      });
    });
  }

  it('is the only production file that lists the centres’ event registries', () => {
    const registries = /\b(orderEvents|inventoryEvents|paymentEvents|promotionEvents|couponEvents)\b/g;
    const production = layers.slice(0, layers.findIndex((layer) => layer.includes('app')) + 1).flat();
    const listing = [...importGraph(production).keys()]
      .filter((file) => file !== 'domain/centres.ts' && !file.endsWith('.spec.ts'))
      .filter((file) => new Set(readFileSync(join(root, file), 'utf8').match(registries)).size > 1);
    expect(listing).to.deep.equal([]);
  });
});
