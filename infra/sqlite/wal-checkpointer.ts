import { Worker } from 'node:worker_threads';

/**
 * Checkpoints WAL files on a thread of its own. SQLite's automatic checkpoint runs inside the commit that crosses its
 * threshold: that commit copies thousands of pages into the database file and syncs it, and its event loop stands
 * still meanwhile (measured here: 20–150 ms stalls, under load, in whichever process committed). Connections opened
 * with `autoCheckpoint: false` leave it to this thread, which runs a PASSIVE checkpoint of each file every
 * `intervalMs`: it never takes the write lock or waits for readers, and copies what no reader still needs.
 */
export interface WalCheckpointer {
  /** a last checkpoint, then the thread's connections close */
  stop(): Promise<void>;
}

const THREAD = `
const { closeSync, openSync, readSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
// Bytes 18 and 19 of a database file's header are 2 once it is in WAL mode. A connection opened before that (the
// file just created, its journal mode not yet set) keeps the rollback mode it saw and checkpoints nothing, ever.
const inWalMode = (path) => {
  let fd;
  try {
    fd = openSync(path, 'r');
    const header = Buffer.alloc(20);
    return readSync(fd, header, 0, 20, 0) === 20 && header[18] === 2 && header[19] === 2;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
};
// a file is opened once it exists in WAL mode (another process may create it after this thread started)
const dbs = new Map();
const checkpoint = () => {
  for (const path of workerData.paths) {
    try {
      if (!dbs.has(path) && inWalMode(path)) dbs.set(path, new Database(path, { fileMustExist: true }));
      dbs.get(path)?.pragma('wal_checkpoint(PASSIVE)');
    } catch (error) {
      parentPort.postMessage(path + ': ' + String(error));
    }
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  for (const db of dbs.values()) db.close();
  parentPort.close();
});
`;

export const startWalCheckpointer = (
  paths: readonly string[],
  options: { readonly intervalMs?: number; readonly onError?: (message: string) => void } = {},
): WalCheckpointer => {
  const thread = new Worker(THREAD, {
    eval: true,
    workerData: { paths, intervalMs: options.intervalMs ?? 200, driver: require.resolve('better-sqlite3') },
  });
  thread.on('message', (message: unknown) => options.onError?.(String(message)));
  thread.on('error', (error) => options.onError?.(String(error)));
  thread.unref();
  const exited = new Promise<void>((resolve) =>
    thread.once('exit', () => {
      resolve();
    }),
  );
  return {
    async stop() {
      thread.postMessage('stop');
      await exited;
    },
  };
};
