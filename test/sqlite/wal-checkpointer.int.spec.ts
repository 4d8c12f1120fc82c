import { expect } from 'chai';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openWalDatabase } from '../../infra/sqlite/database';
import { startWalCheckpointer } from '../../infra/sqlite/wal-checkpointer';
import { sleep } from '../../tools/services/proc';

describe('the WAL checkpointer thread', () => {
  let folder: string;
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'wal-checkpointer-'));
  });
  afterEach(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  const untilGrown = async (path: string, bytes: number): Promise<number> => {
    for (let i = 0; i < 250 && statSync(path).size <= bytes; i++) await sleep(20);
    return statSync(path).size;
  };

  /** Commits about 200 KB to the WAL, then expects the thread to copy it into the file (comparing the size at once
   * would race the thread, and any earlier growth may be its checkpoint of the schema's commit). */
  const expectWritesCheckpointed = async (db: Database.Database, path: string): Promise<void> => {
    const before = statSync(path).size;
    const insert = db.prepare<[string]>('INSERT INTO t (v) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < 2_000; i++) insert.run(`row ${i} ${'x'.repeat(100)}`);
    })();
    expect(await untilGrown(path, before + 100_000)).to.be.above(before + 100_000);
  };

  /**
   * Starts the thread on `path`, waits `ticksMs` so it looks at the file as it stands, opens the file in WAL mode
   * (`setUp` runs then) and hands it to `body`; the thread must report no error.
   */
  const withCheckpointer = async (
    path: string,
    ticksMs: number,
    setUp: (db: Database.Database) => void,
    body: (db: Database.Database) => Promise<void>,
  ): Promise<void> => {
    const errors: string[] = [];
    const checkpointer = startWalCheckpointer([path], { intervalMs: 20, onError: (m) => errors.push(m) });
    try {
      await sleep(ticksMs);
      const db = openWalDatabase(path, { autoCheckpoint: false }, setUp);
      try {
        await body(db);
      } finally {
        db.close();
      }
    } finally {
      await checkpointer.stop();
    }
    expect(errors).to.deep.equal([]);
  };

  it('copies into the database file what commits left in the WAL, for files that appear after it started', async () => {
    const path = join(folder, 'late.db');
    await withCheckpointer(
      path,
      60,
      (d) => d.exec('CREATE TABLE t (v TEXT NOT NULL)'),
      async (db) => {
        // commits checkpoint nothing themselves: the thread copies them
        expect(db.pragma('wal_autocheckpoint', { simple: true })).to.equal(0);
        await expectWritesCheckpointed(db, path);
      },
    );
  });

  it('checkpoints a file that existed in rollback mode when the thread first saw it, once it is in WAL mode', async () => {
    const path = join(folder, 'switched.db');
    const plain = new Database(path);
    plain.exec('CREATE TABLE t (v TEXT NOT NULL)');
    plain.close();
    // the thread ticks while the file is not in WAL mode: a connection opened then would never learn it changed
    await withCheckpointer(
      path,
      100,
      () => undefined,
      (db) => expectWritesCheckpointed(db, path),
    );
  });
});
