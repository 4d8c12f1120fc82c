import Database from 'better-sqlite3';
import type { LogReader, LogWindow } from '../../ports/log-reader';
import { EVENT_COLUMNS, parseEventRows, type EventRow } from './event-rows';

export interface SqliteLogReader extends LogReader {
  close(): void;
}

/**
 * Reads the SQLite event store's log by type on its own read-only connection (WAL: it never blocks the writer).
 * SQLite compares the type of every event in the window; only the wanted rows are parsed.
 */
export const openSqliteLogReader = (options: { readonly path: string }): SqliteLogReader => {
  const db = new Database(options.path, { readonly: true, fileMustExist: true });
  // the window's bounds from the primary key alone, then only the wanted rows within them
  const end = db.prepare<[number, number], { through: number | null; examined: number }>(
    `SELECT max(position) AS through, count(*) AS examined
       FROM (SELECT position FROM events WHERE position > ? ORDER BY position LIMIT ?)`,
  );
  const rows = db
    .prepare<[number, number, string], EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events
        WHERE position > ? AND position <= ? AND type IN (SELECT value FROM json_each(?))
        ORDER BY position`,
    )
    .raw();
  // one snapshot for both statements, so the rows are exactly the wanted ones of the window examined
  const read = db.transaction((after: number, maxCount: number, types: string): LogWindow => {
    const { through, examined } = end.get(after, maxCount) ?? { through: null, examined: 0 };
    if (through === null) return { events: [], through: after, examined: 0 };
    return { events: parseEventRows(rows.all(after, through, types)), through, examined };
  });
  return {
    readTypes: ({ after, maxCount, types }) => {
      try {
        if (!Number.isSafeInteger(maxCount) || maxCount < 1) throw new RangeError(`invalid maxCount ${maxCount}`);
        return Promise.resolve(read.deferred(after, maxCount, JSON.stringify([...types])));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
    close: () => {
      db.close();
    },
  };
};
