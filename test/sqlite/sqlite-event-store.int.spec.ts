import Database from 'better-sqlite3';
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { untilStreamExists } from './append-from-child';
import { WrongExpectedRevisionError, type NewEvent, type RecordedEvent } from '../../ports/event-store';
import {
  EventStoreClosedError,
  PartialDuplicateAppendError,
  SqliteEventStore,
  type SqliteEventStoreOptions,
} from '../../infra/sqlite/sqlite-event-store';

const anEvent = (label: string): NewEvent => {
  const commandId = randomUUID();
  return {
    eventId: randomUUID(),
    type: 'ThingHappened.v1',
    data: { label },
    metadata: {
      commandId,
      causationId: commandId,
      correlationId: commandId,
      timestamp: '2024-05-01T12:00:00.000Z',
      schemaVersion: 1,
    },
  };
};

const rejectionOf = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it fulfilled');
};

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const readWholeLog = async (store: SqliteEventStore): Promise<RecordedEvent[]> => {
  const all: RecordedEvent[] = [];
  for (;;) {
    const page = await store.readAll({ after: all[all.length - 1]?.position ?? 0, maxCount: 500 });
    if (page.length === 0) return all;
    all.push(...page);
  }
};

/** Resolves once `count` events arrived through a subscription; rejects after `ms`. */
const collect = (
  store: SqliteEventStore,
  count: number,
  ms: number,
): { readonly events: RecordedEvent[]; readonly complete: Promise<void>; readonly stop: () => Promise<void> } => {
  const events: RecordedEvent[] = [];
  let resolve = (): void => undefined;
  let reject = (_: Error): void => undefined;
  const complete = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const timer = setTimeout(() => {
    reject(new Error(`only ${events.length} of ${count} events arrived within ${ms} ms`));
  }, ms);
  const subscription = store.subscribeToAll({ after: 0, batchSize: 100 }, (batch) => {
    events.push(...batch);
    if (events.length >= count) {
      clearTimeout(timer);
      resolve();
    }
  });
  return {
    events,
    complete,
    stop: async () => {
      clearTimeout(timer);
      await subscription.stop();
    },
  };
};

describe('the SQLite event store', function () {
  this.timeout(30000);

  let folder: string;
  let file: string;
  const opened: SqliteEventStore[] = [];
  const open = (options: Partial<SqliteEventStoreOptions> = {}): SqliteEventStore => {
    const store = new SqliteEventStore({ path: file, ...options });
    opened.push(store);
    return store;
  };

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'sqlite-event-store-'));
    file = join(folder, 'events.db');
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
    rmSync(folder, { recursive: true, force: true });
  });

  describe('when it is closed and opened again on the same file', () => {
    it('keeps every event, its position, the commands and the checkpoints', async () => {
      const first = open();
      await first.append('order-1', [anEvent('a'), anEvent('b')], 'no_stream', { commandId: 'cmd-1' });
      await first.append('order-2', [anEvent('c')], 'no_stream');
      await first.checkpointStore().save('projection', 2);
      const before = await readWholeLog(first);
      await first.close();

      const second = open();

      expect(await readWholeLog(second)).to.deep.equal(before);
      expect(await second.headPosition()).to.equal(3);
      expect(await second.findCommand('cmd-1')).to.deep.equal({ streamId: 'order-1', revision: 1, position: 2 });
      expect(await second.checkpointStore().load('projection')).to.equal(2);
      expect(await second.append('order-1', [anEvent('d')], 1)).to.deep.equal({ revision: 2, position: 4 });
    });

    it('records its schema version and opens an existing schema without change', async () => {
      await open().close();
      open();

      const db = new Database(file, { readonly: true });
      try {
        expect(db.pragma('user_version', { simple: true })).to.equal(2);
        expect(db.pragma('journal_mode', { simple: true })).to.equal('wal');
      } finally {
        db.close();
      }
    });

    it('moves a version 1 file to version 2: the same rows and positions, no unique index on event ids', async () => {
      const db = new Database(file);
      db.exec(`
        CREATE TABLE events (
          position  INTEGER PRIMARY KEY AUTOINCREMENT,
          stream_id TEXT    NOT NULL,
          revision  INTEGER NOT NULL,
          event_id  TEXT    NOT NULL UNIQUE,
          type      TEXT    NOT NULL,
          data      TEXT    NOT NULL,
          metadata  TEXT    NOT NULL,
          UNIQUE (stream_id, revision)
        );
        CREATE TABLE commands (command_id TEXT PRIMARY KEY, stream_id TEXT NOT NULL, revision INTEGER NOT NULL,
          position INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL) WITHOUT ROWID;
        INSERT INTO events VALUES (1, 'order-1', 0, 'e-1', 'ThingHappened.v1', '{"label":"a"}', '{}');
        INSERT INTO events VALUES (2, 'order-1', 1, 'e-2', 'ThingHappened.v1', '{"label":"b"}', '{}');
        -- the log's last event was at 5 once (positions are never reused)
        UPDATE sqlite_sequence SET seq = 5 WHERE name = 'events';
        INSERT INTO commands VALUES ('cmd-1', 'order-1', 1, 2);
        PRAGMA user_version = 1;
      `);
      db.close();

      const store = open();

      expect((await store.readStream('order-1')).map((e) => [e.position, e.eventId])).to.deep.equal([
        [1, 'e-1'],
        [2, 'e-2'],
      ]);
      expect(await store.findCommand('cmd-1')).to.deep.equal({ streamId: 'order-1', revision: 1, position: 2 });
      // the same id in another stream is a new event now; the sequence went with the table
      expect(await store.append('order-2', [{ ...anEvent('c'), eventId: 'e-1' }], 'no_stream')).to.deep.equal({
        revision: 0,
        position: 6,
      });
      await store.close();
      const check = new Database(file, { readonly: true });
      try {
        expect(check.pragma('user_version', { simple: true })).to.equal(2);
        const indexed = check.prepare('SELECT name FROM pragma_index_list(\'events\') WHERE "unique" = 1').all();
        expect(indexed).to.have.length(1);
        expect(
          check.prepare('SELECT name FROM pragma_index_info(?)').all((indexed[0] as { name: string }).name),
        ).to.deep.equal([{ name: 'stream_id' }, { name: 'revision' }]);
      } finally {
        check.close();
      }
    });

    it('refuses a file whose schema is newer than the code', () => {
      const db = new Database(file);
      db.pragma('user_version = 99');
      db.close();

      expect(() => open()).to.throw(/schema version 99 is newer/);
    });
  });

  describe('when an append repeats event ids', () => {
    it('answers the original result to a repeat expecting what the original expected, or any', async () => {
      const store = open();
      const batch = [anEvent('a'), anEvent('b')];
      const first = await store.append('order-1', batch, 'no_stream');
      const later = [anEvent('c')];
      const second = await store.append('order-1', later, 1);
      await store.append('order-1', [anEvent('d')], 2);

      const repeat = { ...first, repeated: { streamId: 'order-1' } };
      expect(await store.append('order-1', batch, 'no_stream')).to.deep.equal(repeat);
      expect(await store.append('order-1', batch, 'any')).to.deep.equal(repeat);
      expect(await store.append('order-1', later, 1)).to.deep.equal({ ...second, repeated: { streamId: 'order-1' } });
      expect(await store.readStream('order-1')).to.have.length(4);
    });

    it('refuses, as a conflict, stored ids appended at a revision where they are not', async () => {
      const store = open();
      const batch = [anEvent('a'), anEvent('b')];
      await store.append('order-1', batch, 'no_stream');
      await store.append('order-1', [anEvent('c')], 1);

      const error = await rejectionOf(store.append('order-1', batch, 0));

      expect(error).to.be.instanceOf(WrongExpectedRevisionError);
      expect(error).to.include({ expected: 0, actual: 2 });
      expect(await store.readStream('order-1')).to.have.length(3);
    });

    it('rejects a repeat of only some of the ids and writes none of the new ones', async () => {
      const store = open();
      const [a, b, c] = [anEvent('a'), anEvent('b'), anEvent('c')];
      await store.append('order-1', [a, b], 'no_stream');

      const error = await rejectionOf(store.append('order-1', [b, c], 'any'));

      expect(error).to.be.instanceOf(PartialDuplicateAppendError);
      expect(error).to.include({ streamId: 'order-1' });
      expect((await store.readStream('order-1')).map((event) => event.eventId)).to.deep.equal([a.eventId, b.eventId]);
    });

    it('rejects the ids in a different order as a partial repeat', async () => {
      const store = open();
      const [a, b] = [anEvent('a'), anEvent('b')];
      await store.append('order-1', [a, b], 'no_stream');

      expect(await rejectionOf(store.append('order-1', [b, a], 'any'))).to.be.instanceOf(PartialDuplicateAppendError);
    });

    it('takes an id stored in another stream as a new event: ids are unique within a stream', async () => {
      const store = open();
      const a = anEvent('a');
      await store.append('order-1', [a], 'no_stream');

      expect(await store.append('order-2', [a], 'no_stream')).to.deep.equal({ revision: 0, position: 2 });
      expect((await store.readStream('order-2')).map((event) => event.eventId)).to.deep.equal([a.eventId]);
    });
  });

  describe('with group commit', () => {
    it('writes appends issued together in one transaction, each with its own outcome (a suspected repeat in a second)', async () => {
      const store = open();
      const kept = anEvent('kept');
      const first = await store.append('order-1', [kept], 'no_stream', { commandId: 'cmd-kept' });
      const transactionsBefore = store.groupCommitStats.transactions;

      const outcomes = await Promise.allSettled([
        store.append('order-2', [anEvent('first')], 'no_stream'),
        store.append('order-1', [anEvent('stale')], 'no_stream'),
        store.append('order-1', [kept, anEvent('partial')], 'any'),
        // fits its stream: only the command's unique index shows it was handled before
        store.append('order-3', [anEvent('again')], 'no_stream', { commandId: 'cmd-kept' }),
        store.append('order-1', [anEvent('second')], 0),
      ]);

      // the append that met a stored id is rolled back alone and checked for a repeat in the next transaction
      expect(store.groupCommitStats.transactions - transactionsBefore).to.equal(2);
      expect(outcomes.map((outcome) => outcome.status)).to.deep.equal([
        'fulfilled',
        'rejected',
        'rejected',
        'fulfilled',
        'fulfilled',
      ]);
      const reasons = outcomes.map((outcome) => (outcome.status === 'rejected' ? (outcome.reason as unknown) : null));
      expect(reasons[1]).to.be.instanceOf(WrongExpectedRevisionError);
      expect(reasons[2]).to.be.instanceOf(PartialDuplicateAppendError);
      expect(outcomes[3]).to.deep.equal({
        status: 'fulfilled',
        value: { ...first, repeated: { streamId: 'order-1' } },
      });
      expect((await store.readStream('order-1')).map((event) => event.revision)).to.deep.equal([0, 1]);
      expect(await store.readStream('order-2')).to.have.length(1);
      expect(await store.readStream('order-3')).to.deep.equal([]);
      expect((await readWholeLog(store)).map((event) => event.position)).to.deep.equal([1, 2, 3]);
    });

    it('writes appends still queued when the store closes', async () => {
      const store = open();
      const pending = store.append('order-1', [anEvent('a')], 'no_stream');

      await store.close();

      expect(await pending).to.deep.equal({ revision: 0, position: 1 });
    });

    it('rejects appends after close', async () => {
      const store = open();
      await store.close();

      expect(await rejectionOf(store.append('order-1', [anEvent('a')], 'any'))).to.be.instanceOf(EventStoreClosedError);
    });
  });

  describe('under many concurrent appenders in one process', () => {
    it('gives gap-free, strictly increasing positions and contiguous revisions per stream', async () => {
      const store = open();
      const appenders = 50;
      const appendsEach = 20;
      const total = appenders * appendsEach;
      const live = collect(store, total, 20000);

      await Promise.all(
        range(0, appenders - 1).map(async (appender) => {
          for (let revision = 0; revision < appendsEach; revision += 1) {
            await store.append(
              `stream-${appender}`,
              [anEvent(`${revision}`)],
              revision === 0 ? 'no_stream' : revision - 1,
            );
          }
        }),
      );
      await live.complete;
      await live.stop();

      const log = await readWholeLog(store);
      expect(log.map((event) => event.position)).to.deep.equal(range(1, total));
      expect(live.events.map((event) => event.position)).to.deep.equal(range(1, total));
      for (let appender = 0; appender < appenders; appender += 1) {
        const revisions = log.filter((event) => event.streamId === `stream-${appender}`).map((e) => e.revision);
        expect(revisions).to.deep.equal(range(0, appendsEach - 1));
      }
      // Fewer transactions than appends shows the concurrent appends were grouped.
      expect(store.groupCommitStats.transactions).to.be.below(total);
    });
  });

  describe('when another process appends to the same file at the same time', () => {
    it('keeps positions gap-free and a live subscription sees every event once, in order', async () => {
      const store = open({ pollIntervalMs: 20 });
      const streams = 20;
      const appendsEach = 40;
      const total = 2 * streams * appendsEach;
      const live = collect(store, total, 25000);

      const child = spawn(
        process.execPath,
        [
          '--require',
          require.resolve('tsx/cjs'),
          join(__dirname, 'append-from-child.ts'),
          file,
          'child',
          `${streams}`,
          `${appendsEach}`,
          'parent',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const killer = setTimeout(() => child.kill('SIGKILL'), 25000);
      let output = '';
      let errors = '';
      child.stderr.on('data', (chunk: Buffer) => {
        errors += chunk.toString();
      });
      const ready = new Promise<void>((resolve) => {
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('ready')) resolve();
        });
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));

      try {
        await Promise.race([ready, exited]);
        await Promise.all(
          range(0, streams - 1).map(async (index) => {
            for (let revision = 0; revision < appendsEach; revision += 1) {
              if (revision === appendsEach / 2) await untilStreamExists(store, 'child-0');
              await store.append(
                `parent-${index}`,
                [anEvent(`${revision}`)],
                revision === 0 ? 'no_stream' : revision - 1,
              );
            }
          }),
        );
        expect(await exited, errors).to.equal(0);
        await live.complete;
      } finally {
        clearTimeout(killer);
        await live.stop();
      }

      expect(output).to.include(`done ${streams * appendsEach}`);
      const log = await readWholeLog(store);
      expect(log.map((event) => event.position)).to.deep.equal(range(1, total));
      expect(live.events.map((event) => event.position)).to.deep.equal(range(1, total));
      for (const prefix of ['parent', 'child']) {
        for (let index = 0; index < streams; index += 1) {
          const revisions = log.filter((event) => event.streamId === `${prefix}-${index}`).map((e) => e.revision);
          expect(revisions).to.deep.equal(range(0, appendsEach - 1));
        }
      }
      // The two processes' writes interleave in the log: each waits halfway for the other, so they ran at the same time.
      const switches = log.filter(
        (event, i) => i > 0 && event.streamId.split('-')[0] !== log[i - 1]?.streamId.split('-')[0],
      ).length;
      expect(switches).to.be.above(1);
    });
  });

  describe('a subscription on another connection to the same file', () => {
    it('receives what this connection appends, through polling', async () => {
      const reader = open({ pollIntervalMs: 20 });
      const writer = open();
      const live = collect(reader, 3, 5000);

      await writer.append('order-1', [anEvent('a'), anEvent('b')], 'no_stream');
      await writer.append('order-1', [anEvent('c')], 1);
      await live.complete;
      await live.stop();

      expect(live.events.map((event) => event.position)).to.deep.equal([1, 2, 3]);
    });
  });

  describe('its checkpoints', () => {
    it('load 0 for a name never saved, then what was saved last', async () => {
      const checkpoints = open().checkpointStore();

      expect(await checkpoints.load('projection')).to.equal(0);
      await checkpoints.save('projection', 10);
      await checkpoints.save('projection', 42);
      await checkpoints.save('relay', 7);

      expect(await checkpoints.load('projection')).to.equal(42);
      expect(await checkpoints.load('relay')).to.equal(7);
    });

    it('are shared with a checkpoint store on another connection to the same file', async () => {
      await open().checkpointStore().save('saga-runner', 5);
      expect(await open().checkpointStore().load('saga-runner')).to.equal(5);
    });

    it('refuses a position that is not a non-negative integer', async () => {
      const checkpoints = open().checkpointStore();

      expect(await rejectionOf(checkpoints.save('projection', -1))).to.be.instanceOf(RangeError);
      expect(await rejectionOf(checkpoints.save('projection', 1.5))).to.be.instanceOf(RangeError);
    });
  });
});
