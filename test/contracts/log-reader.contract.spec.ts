import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filteringLogReader } from '../../ports/log-reader';
import { openSqliteLogReader } from '../../infra/sqlite/sqlite-log-reader';
import { SqliteEventStore } from '../../infra/sqlite/sqlite-event-store';
import { logReaderContract } from './log-reader.contract';

describe('the log reader contract', () => {
  const folders: string[] = [];
  afterEach(() => {
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });

  logReaderContract('SQLite, by type in SQL on a read-only connection', () => {
    const folder = mkdtempSync(join(tmpdir(), 'log-reader-'));
    folders.push(folder);
    const path = join(folder, 'events.db');
    const store = new SqliteEventStore({ path });
    const reader = openSqliteLogReader({ path });
    return Promise.resolve({
      store,
      reader,
      close: async () => {
        reader.close();
        await store.close();
      },
    });
  });

  logReaderContract('any event store, filtered in memory (SQLite in memory here)', () => {
    const store = new SqliteEventStore({ path: ':memory:' });
    return Promise.resolve({ store, reader: filteringLogReader(store), close: () => store.close() });
  });
});
