import { expect } from 'chai';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GroupCommit } from '../../infra/sqlite/group-commit';

/** Items are SQL values for one table; a negative value fails its write (a CHECK constraint). */
const failure = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );

const setup = (db = new Database(':memory:')) => {
  db.exec('CREATE TABLE IF NOT EXISTS t (v INTEGER NOT NULL CHECK (v >= 0))');
  const insert = db.prepare<[number]>('INSERT INTO t (v) VALUES (?)');
  const commits: number[] = [];
  const writer = new GroupCommit(
    db,
    (v: number) => {
      insert.run(v);
      return v;
    },
    (items) => commits.push(items.length),
  );
  const rows = (): number[] => db.prepare<[], number>('SELECT v FROM t ORDER BY rowid').pluck().all();
  return { db, writer, commits, rows };
};

describe('group commit', () => {
  it('writes what one turn submitted and enqueued in one transaction, each caller answered after it', async () => {
    const { writer, commits, rows } = setup();
    writer.enqueue(1);
    const answers = Promise.all([writer.submit(2), writer.submit(3)]);
    writer.enqueue(4);
    expect(await answers).to.deep.equal([2, 3]);
    expect(rows()).to.deep.equal([1, 2, 3, 4]);
    expect(commits).to.deep.equal([4]);
  });

  it('rolls back a failing write alone: its caller hears it, an enqueued one is dropped, the others commit', async () => {
    const { writer, rows } = setup();
    writer.enqueue(-1);
    const failing = writer.submit(-2);
    const fine = writer.submit(5);
    expect(await failure(failing)).to.match(/CHECK constraint/);
    expect(await fine).to.equal(5);
    expect(rows()).to.deep.equal([5]);
  });

  it('writes now, with what is queued, and throws when its own write fails', () => {
    const { writer, rows } = setup();
    writer.enqueue(1);
    expect(writer.writeNow(2)).to.equal(2);
    expect(rows()).to.deep.equal([1, 2]);
    writer.enqueue(3);
    expect(() => writer.writeNow(-1)).to.throw(/CHECK constraint/);
    // the transaction failed as a whole: the late write waits for the next commit
    expect(rows()).to.deep.equal([1, 2]);
    writer.flush();
    expect(rows()).to.deep.equal([1, 2, 3]);
  });

  it('fails the callers still waiting when abandoned', async () => {
    const { db, writer } = setup();
    const waiting = writer.submit(1);
    db.close();
    writer.abandon(new Error('closed'));
    expect(await failure(waiting)).to.equal('closed');
  });

  describe('when another connection holds the write lock', () => {
    let folder: string;
    beforeEach(() => {
      folder = mkdtempSync(join(tmpdir(), 'group-commit-'));
    });
    afterEach(() => {
      rmSync(folder, { recursive: true, force: true });
    });

    it('gives the event loop back while it waits, then commits what arrived meanwhile with it', async () => {
      const path = join(folder, 'db.sqlite');
      const open = (): Database.Database => {
        const db = new Database(path, { timeout: 5_000 });
        db.pragma('journal_mode = WAL');
        return db;
      };
      const other = open();
      const { db, writer, commits } = setup(open());
      try {
        other.exec('BEGIN IMMEDIATE');
        const first = writer.submit(1);
        // the loop keeps turning while the lock is held: timers fire, more writes queue up
        let ticks = 0;
        await new Promise<void>((resolve) => {
          const timer = setInterval(() => {
            ticks += 1;
            if (ticks === 5) {
              clearInterval(timer);
              resolve();
            }
          }, 2);
        });
        const second = writer.submit(2);
        other.exec('COMMIT');
        expect(await Promise.all([first, second])).to.deep.equal([1, 2]);
        expect(commits).to.deep.equal([2]);
        expect(ticks).to.equal(5);
      } finally {
        db.close();
        other.close();
      }
    });
  });
});
