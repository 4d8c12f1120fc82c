import { expect } from 'chai';
import fc from 'fast-check';
import {
  QuietReconnect,
  escapeString,
  readStoreClientOptions,
  unescapeString,
} from '../../infra/mongodb/mongo-read-store';

/** Strings made mostly of the characters the escape touches, so that every mix of them turns up. */
const trickyStrings = fc
  .array(fc.constantFrom('\u0000', '\u0001', '\u0002', 'a', '%', '\u00ff', '😀'), { maxLength: 12 })
  .map((chars) => chars.join(''));

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const utf8Compare = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe('the MongoDB read store’s string values', () => {
  it('never stores a NUL, and reads back every string exactly', () => {
    fc.assert(
      fc.property(trickyStrings, (value) => {
        const stored = escapeString(value);
        expect(stored).not.to.include('\u0000');
        expect(unescapeString(stored)).to.equal(value);
      }),
    );
  });

  it('reads back strings that already hold the escape character, alone or in what looks like an escape', () => {
    for (const value of ['\u0001', '\u0001\u0001', '\u0001\u0002', 'a\u0001\u0000b', '\u0000\u0001\u0000']) {
      expect(unescapeString(escapeString(value)), JSON.stringify(value)).to.equal(value);
    }
    expect(escapeString('a\u0000b')).to.equal('a\u0001\u0001b');
    expect(escapeString('a\u0001b')).to.equal('a\u0001\u0002b');
  });

  it('stores a string without NUL or the escape character as it is', () => {
    for (const value of ['', 'placed', '100%', 'Grüne Teekanne 緑茶 🍵', '%00', 'e\u0301']) {
      expect(escapeString(value)).to.equal(value);
    }
  });

  it('keeps the order of strings, in UTF-16 and in UTF-8 (how MongoDB compares them), so ranges and sorts hold', () => {
    fc.assert(
      fc.property(trickyStrings, trickyStrings, (a, b) => {
        expect(compare(escapeString(a), escapeString(b))).to.equal(compare(a, b));
        expect(utf8Compare(escapeString(a), escapeString(b))).to.equal(utf8Compare(a, b));
      }),
    );
  });
});

describe('the MongoDB read store’s client', () => {
  it('never lets the driver retry a write by itself, whatever the caller asks', () => {
    expect(readStoreClientOptions().retryWrites).to.equal(false);
    expect(readStoreClientOptions({ retryWrites: true, socketTimeoutMS: 1_000 })).to.include({
      retryWrites: false,
      socketTimeoutMS: 1_000,
    });
  });
});

describe('when a write of the MongoDB read store ended without an answer', () => {
  interface FakeConnection {
    readonly n: number;
    closed: boolean;
  }

  let clock: number;
  let opened: FakeConnection[];
  let sleeps: number[];
  let link: QuietReconnect<FakeConnection>;

  beforeEach(() => {
    clock = 1_000;
    opened = [];
    sleeps = [];
    const first: FakeConnection = { n: 0, closed: false };
    opened.push(first);
    link = new QuietReconnect<FakeConnection>(
      first,
      () => {
        const connection = { n: opened.length, closed: false };
        opened.push(connection);
        return Promise.resolve(connection);
      },
      (connection) => {
        connection.closed = true;
        return Promise.resolve();
      },
      35_000,
      () => clock,
      // sleeping moves the clock: what the link waited is recorded
      (ms) => {
        sleeps.push(ms);
        clock += ms;
        return Promise.resolve();
      },
    );
  });

  it('keeps one connection while writes are answered', async () => {
    const a = await link.connection();
    const b = await link.connection();

    expect(a).to.equal(b);
    expect(opened).to.have.length(1);
    expect(sleeps).to.deep.equal([]);
  });

  it('closes that connection, and sends nothing before the quiet period has passed', async () => {
    const used = link.connection();
    await used;
    clock += 500;
    link.failed(used);
    await Promise.resolve();
    expect(opened[0]?.closed, 'the timed-out connection is closed').to.equal(true);

    clock += 10_000;
    const next = await link.connection();

    expect(sleeps).to.deep.equal([25_000]);
    expect(clock).to.equal(1_000 + 500 + 35_000);
    expect(next.n).to.equal(1);
    expect(next.closed).to.equal(false);
  });

  it('opens one fresh connection for every call that waited, and waits no more once it is open', async () => {
    const used = link.connection();
    await used;
    link.failed(used);

    const waiting = await Promise.all([link.connection(), link.connection(), link.connection()]);
    const later = await link.connection();

    expect(new Set(waiting.map((connection) => connection.n))).to.deep.equal(new Set([1]));
    expect(later.n).to.equal(1);
    expect(opened).to.have.length(2);
    expect(sleeps).to.deep.equal([35_000]);
  });

  it('extends the quiet period when a second write on the same connection fails later', async () => {
    const used = link.connection();
    await used;
    link.failed(used);
    clock += 20_000;
    link.failed(used);

    await link.connection();

    expect(clock).to.equal(1_000 + 20_000 + 35_000);
    expect(opened).to.have.length(2);
  });

  it('ends a call waiting out a real quiet period at once when closed, so a stopping process is not held', async () => {
    const first: FakeConnection = { n: 0, closed: false };
    const real = new QuietReconnect<FakeConnection>(
      first,
      () => Promise.resolve({ n: 1, closed: false }),
      () => Promise.resolve(),
      60_000,
      Date.now,
    );
    const used = real.connection();
    await used;
    real.failed(used);
    const started = Date.now();
    const waiting = real.connection().then(
      () => 'opened',
      (error: unknown) => (error instanceof Error ? error.message : 'failed'),
    );

    await real.close();

    expect(await waiting).to.equal('the read store is closed');
    expect(Date.now() - started).to.be.lessThan(1_000);
  });

  it('opens nothing once closed during the quiet period', async () => {
    const used = link.connection();
    await used;
    link.failed(used);
    await link.close();

    let failure: unknown;
    await link.connection().catch((error: unknown) => {
      failure = error;
    });

    expect(failure).to.be.instanceOf(Error);
    expect(opened).to.have.length(1);
  });
});
