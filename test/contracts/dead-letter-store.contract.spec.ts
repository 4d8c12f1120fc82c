import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteDeadLetterStore } from '../../infra/sqlite/sqlite-dead-letter-store';
import type { DeadLetterStore } from '../../ports/dead-letters';
import { deadLetterStoreContract } from './dead-letter-store.contract';

describe('the dead letter store contract', () => {
  deadLetterStoreContract('SQLite adapter on a temporary file', (clock) => {
    const folder = mkdtempSync(join(tmpdir(), 'dead-letter-contract-'));
    const path = join(folder, 'dead-letters.db');
    const stores: DeadLetterStore[] = [openSqliteDeadLetterStore(path, clock)];
    const [store] = stores;
    if (store === undefined) throw new Error('unreachable');
    return Promise.resolve({
      store,
      another: () => {
        const other = openSqliteDeadLetterStore(path, clock);
        stores.push(other);
        return Promise.resolve(other);
      },
      close: async () => {
        for (const s of stores) await s.close();
        rmSync(folder, { recursive: true, force: true });
      },
    });
  });
});
