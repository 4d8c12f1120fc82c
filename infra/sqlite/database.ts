import Database from 'better-sqlite3';

export interface WalDatabaseOptions {
  /** how long a writer waits for another connection's lock; default 5000 ms */
  readonly busyTimeoutMs?: number;
  /** NORMAL survives process crashes; FULL also power loss */
  readonly synchronous?: 'NORMAL' | 'FULL';
  /** false: no checkpoint inside commits; a `WalCheckpointer` thread does them (default true) */
  readonly autoCheckpoint?: boolean;
}

/**
 * Opens (creating) a SQLite file in WAL mode, so readers never block the writer and other processes (the CLI)
 * may share it, then runs `setUp` (more pragmas, the schema); the file is closed again when that fails.
 */
export const openWalDatabase = (
  path: string,
  options: WalDatabaseOptions,
  setUp: (db: Database.Database) => void,
): Database.Database => {
  const db = new Database(path, { timeout: options.busyTimeoutMs ?? 5000 });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
    setUp(db);
    if (options.autoCheckpoint === false) db.pragma('wal_autocheckpoint = 0');
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
};

/**
 * A longer WAL between checkpoints copies each hot page back (and syncs) once instead of every ~1,000 pages
 * written, and a larger page cache keeps the indexes from being read again: for files whose writes keep dirtying
 * the same index pages (random event and command ids, read-model progress and buckets).
 */
export const tuneForHotPages = (db: Database.Database): void => {
  db.pragma('wal_autocheckpoint = 8000');
  db.pragma('cache_size = -16384');
};
