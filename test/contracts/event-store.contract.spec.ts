import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EsdbEventStore } from '../../infra/eventstoredb/esdb-event-store';
import { SqliteEventStore } from '../../infra/sqlite/sqlite-event-store';
import { eventStoreContract } from './event-store.contract';

describe('the event store contract', () => {
  describe('on SQLite', () => {
    const folders: string[] = [];

    // Runs after the contract's own afterEach has closed the store.
    afterEach(() => {
      for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
    });

    eventStoreContract('SQLite adapter on a temporary file', () => {
      const folder = mkdtempSync(join(tmpdir(), 'event-store-contract-'));
      folders.push(folder);
      return Promise.resolve(new SqliteEventStore({ path: join(folder, 'events.db') }));
    });

    eventStoreContract('SQLite adapter in memory', () => Promise.resolve(new SqliteEventStore({ path: ':memory:' })));

    eventStoreContract('SQLite adapter in memory, without group commit', () =>
      Promise.resolve(new SqliteEventStore({ path: ':memory:', groupCommit: false })),
    );
  });

  const eventStoreUrl = process.env.EVENTSTORE_URL;
  if (eventStoreUrl !== undefined && eventStoreUrl !== '') {
    eventStoreContract(
      'EventStoreDB adapter',
      () => Promise.resolve(new EsdbEventStore({ connectionString: eventStoreUrl })),
      { shared: true, storesJsonText: false },
    );
  } else {
    describe('EventStoreDB adapter', () => {
      it('runs only when EVENTSTORE_URL points at a server (not set: skipped — no EventStoreDB server can run on this machine)', function () {
        this.skip();
      });
    });
  }
});
