import { expect } from 'chai';
import type { RecordedEvent } from '../../ports/event-store';
import type { LogReader, ReadTypesOptions } from '../../ports/log-reader';
import { readAhead } from '../../projections/read-ahead';

/** A log of `head` events, each of type `A.v1`; counts the reads and can fail the next one. */
const fakeLog = (initialHead: number) => {
  const log = { head: initialHead, reads: [] as number[], failAt: undefined as number | undefined };
  const event = (position: number): RecordedEvent => ({
    position,
    streamId: `s-${position}`,
    revision: 0,
    eventId: `e-${position}`,
    type: 'A.v1',
    data: {},
    metadata: { commandId: 'c', causationId: 'c', correlationId: 'c', timestamp: 't', schemaVersion: 1 },
  });
  const reader: LogReader = {
    readTypes: ({ after, maxCount }: ReadTypesOptions) => {
      log.reads.push(after);
      if (log.failAt === after) {
        log.failAt = undefined;
        return Promise.reject(new Error('connection lost'));
      }
      const last = Math.min(log.head, after + maxCount);
      const events = Array.from({ length: Math.max(0, last - after) }, (_, i) => event(after + i + 1));
      return Promise.resolve({ events, through: events.at(-1)?.position ?? after, examined: events.length });
    },
  };
  return { log, reader };
};

const types = new Set(['A.v1']);

describe('reading the log ahead', () => {
  it('hands out the next full window from the read-ahead, and reads the short one at the head again', async () => {
    const { log, reader } = fakeLog(25);
    const ahead = readAhead(reader);

    const first = await ahead.readTypes({ after: 0, maxCount: 10, types });
    const second = await ahead.readTypes({ after: first.through, maxCount: 10, types });
    const third = await ahead.readTypes({ after: second.through, maxCount: 10, types });

    expect([first.through, second.through, third.through]).to.deep.equal([10, 20, 25]);
    expect(third.events.map((e) => e.position)).to.deep.equal([21, 22, 23, 24, 25]);
    // 10 and 20 came from the read-ahead; 20.. was short there (5 of 10), so it was read again; nothing after it
    expect(log.reads).to.deep.equal([0, 10, 20, 20]);
  });

  it('reads a short window again when asked for it, since the log may have grown meanwhile', async () => {
    const { log, reader } = fakeLog(15);
    const ahead = readAhead(reader);

    const first = await ahead.readTypes({ after: 0, maxCount: 10, types });
    // the read-ahead saw 11..15 only
    await new Promise((resolve) => setImmediate(resolve));
    log.head = 40;
    const second = await ahead.readTypes({ after: first.through, maxCount: 10, types });

    expect(second.events.map((e) => e.position)).to.deep.equal([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    expect(log.reads).to.deep.equal([0, 10, 10, 20]);
  });

  it('reads again after a failed read-ahead, and ignores it when asked for another window', async () => {
    const { log, reader } = fakeLog(100);
    const ahead = readAhead(reader);

    await ahead.readTypes({ after: 0, maxCount: 10, types });
    // the read-ahead of 60.. fails
    log.failAt = 60;
    const elsewhere = await ahead.readTypes({ after: 50, maxCount: 10, types });
    const next = await ahead.readTypes({ after: 60, maxCount: 10, types });

    expect(elsewhere.through).to.equal(60);
    expect(next.through).to.equal(70);
    expect(log.reads).to.deep.equal([0, 10, 50, 60, 60, 70]);
  });
});
