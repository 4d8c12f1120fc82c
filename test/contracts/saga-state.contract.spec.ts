import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteSagaStateStore } from '../../infra/sqlite/sqlite-saga-state-store';
import { sagaStateContract } from './saga-state.contract';

sagaStateContract('SQLite adapter on a temporary file', () => {
  const folder = mkdtempSync(join(tmpdir(), 'saga-state-contract-'));
  const store = openSqliteSagaStateStore(join(folder, 'sagas.db'));
  return Promise.resolve({
    store,
    close: async () => {
      await store.close();
      rmSync(folder, { recursive: true, force: true });
    },
  });
});
