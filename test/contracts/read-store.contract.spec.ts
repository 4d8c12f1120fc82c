import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteReadStore } from '../../infra/sqlite/sqlite-read-store';
import { readStoreContract } from './read-store.contract';

describe('the read store contract', () => {
  describe('on SQLite', () => {
    readStoreContract('SQLite adapter on a temporary file', () => {
      const folder = mkdtempSync(join(tmpdir(), 'read-store-contract-'));
      // a folder that does not exist yet: the adapter creates it, as it does for ./data/read.db
      const store = openSqliteReadStore({ path: join(folder, 'data', 'read.db') });
      return Promise.resolve({
        store,
        cleanup: async () => {
          await store.close();
          rmSync(folder, { recursive: true, force: true });
        },
      });
    });

    readStoreContract('SQLite adapter in memory', () => {
      const store = openSqliteReadStore({ path: ':memory:' });
      return Promise.resolve({ store, cleanup: () => store.close() });
    });
  });
});
