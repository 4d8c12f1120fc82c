import Database from 'better-sqlite3';
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteReadStore } from '../../infra/sqlite/sqlite-read-store';
import { readStoreContract } from './read-store.contract';

describe('the read store contract', () => {
  describe('on SQLite', () => {
    readStoreContract('SQLite adapter on a temporary file', () => {
      const folder = mkdtempSync(join(tmpdir(), 'read-store-contract-'));
      // a folder that does not exist yet: the adapter creates it, as it does for ./data/read.db
      const path = join(folder, 'data', 'read.db');
      const store = openSqliteReadStore({ path });
      return Promise.resolve({
        store,
        openAnother: () => Promise.resolve(openSqliteReadStore({ path })),
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

describe('the SQLite read store, opening a file written before documents had versions', () => {
  let folder: string;
  let path: string;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'read-store-legacy-'));
    path = join(folder, 'read.db');
    mkdirSync(folder, { recursive: true });
    const db = new Database(path);
    try {
      db.exec('CREATE TABLE rm_orders (id TEXT PRIMARY KEY, body TEXT NOT NULL, progress TEXT NOT NULL)');
      db.prepare('INSERT INTO rm_orders (id, body, progress) VALUES (?, ?, ?)').run(
        'o-1',
        JSON.stringify({ status: 'placed' }),
        JSON.stringify({ $all: 7 }),
      );
    } finally {
      db.close();
    }
  });

  afterEach(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  it('reads every existing document as version 1 and takes writes that expect it', async () => {
    const store = openSqliteReadStore({ path });
    try {
      expect(await store.get('orders', 'o-1')).to.deep.equal({
        id: 'o-1',
        body: { status: 'placed' },
        progress: { $all: 7 },
        version: 1,
      });

      const result = await store.putMany('orders', [
        { id: 'o-1', body: { status: 'paid' }, progress: { $all: 9 }, expectedVersion: 1 },
        { id: 'o-2', body: { status: 'placed' }, progress: { $all: 9 }, expectedVersion: 0 },
      ]);

      expect(result.conflicts).to.deep.equal([]);
      expect((await store.get('orders', 'o-1'))?.version).to.equal(2);
      expect((await store.get('orders', 'o-2'))?.version).to.equal(1);
    } finally {
      await store.close();
    }
  });

  it('migrates once, however many stores open the file', async () => {
    const first = openSqliteReadStore({ path });
    const second = openSqliteReadStore({ path });
    try {
      expect((await second.get('orders', 'o-1'))?.version).to.equal(1);
      expect((await first.getMany('orders', ['o-1'])).get('o-1')?.version).to.equal(1);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
