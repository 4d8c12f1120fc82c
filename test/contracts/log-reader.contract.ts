import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { EventStore, NewEvent } from '../../ports/event-store';
import type { LogReader } from '../../ports/log-reader';

export interface LogReaderSubject {
  readonly store: EventStore;
  readonly reader: LogReader;
  readonly close: () => Promise<void>;
}

const anEvent = (type: string, label: string): NewEvent => {
  const commandId = randomUUID();
  return {
    eventId: randomUUID(),
    type,
    data: { label, nested: { amount: 1250, lines: [{ sku: 'SKU-1', quantity: 2 }] } },
    metadata: {
      commandId,
      causationId: commandId,
      correlationId: label,
      timestamp: '2026-01-01T00:00:00.000Z',
      schemaVersion: 1,
    },
  };
};

/** Ten events: A0 B1 A2 B3 … in one stream each, so their positions are 1…10 in order. */
const seed = async (store: EventStore): Promise<void> => {
  for (let i = 0; i < 10; i++) {
    await store.append(`s-${i}`, [anEvent(i % 2 === 0 ? 'A.v1' : 'B.v1', `e${i}`)], 'no_stream');
  }
};

const labels = (events: readonly { readonly data: unknown }[]): string[] =>
  events.map((e) => (e.data as { label: string }).label);

/** The behaviour every LogReader must show, over the event store it reads. */
export const logReaderContract = (name: string, open: () => Promise<LogReaderSubject>): void => {
  describe(`the log reader contract: ${name}`, () => {
    let subject: LogReaderSubject;
    beforeEach(async () => {
      subject = await open();
    });
    afterEach(async () => {
      await subject.close();
    });

    it('answers the wanted types of a window in log order, whole, with how far it examined', async () => {
      await seed(subject.store);
      const all = await subject.store.readAll({ after: 0, maxCount: 100 });
      const window = await subject.reader.readTypes({ after: 0, maxCount: 5, types: new Set(['A.v1']) });
      expect(labels(window.events)).to.deep.equal(['e0', 'e2', 'e4']);
      expect(window.examined).to.equal(5);
      expect(window.through).to.equal(all[4]?.position);
      expect(window.events).to.deep.equal(all.filter((e, i) => i < 5 && e.type === 'A.v1'));
    });

    it('moves past a window with none of the wanted types', async () => {
      await seed(subject.store);
      const window = await subject.reader.readTypes({ after: 0, maxCount: 10, types: new Set(['C.v1']) });
      expect(window.events).to.deep.equal([]);
      expect(window.examined).to.equal(10);
      expect(window.through).to.be.above(0);
      const next = await subject.reader.readTypes({ after: window.through, maxCount: 10, types: new Set(['C.v1']) });
      expect(next).to.deep.equal({ events: [], through: window.through, examined: 0 });
    });

    it('reads windows after a position until the head, covering every wanted event once', async () => {
      await seed(subject.store);
      const seen: string[] = [];
      let after = 0;
      for (;;) {
        const window = await subject.reader.readTypes({ after, maxCount: 3, types: new Set(['A.v1', 'B.v1']) });
        if (window.examined === 0) break;
        seen.push(...labels(window.events));
        after = window.through;
      }
      expect(seen).to.deep.equal(['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9']);
    });

    it('sees events appended after it was opened', async () => {
      await seed(subject.store);
      await subject.store.append('late', [anEvent('B.v1', 'late')], 'no_stream');
      const window = await subject.reader.readTypes({ after: 0, maxCount: 100, types: new Set(['B.v1']) });
      expect(labels(window.events).at(-1)).to.equal('late');
      expect(window.examined).to.equal(11);
    });

    it('refuses a window of no events', async () => {
      const error = await subject.reader.readTypes({ after: 0, maxCount: 0, types: new Set(['A.v1']) }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(RangeError);
    });
  });
};
