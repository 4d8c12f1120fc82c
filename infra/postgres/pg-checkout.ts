import type pg from 'pg';

/** A client checked out of a pool, whose connection errors are heard from the moment the pool hands it over. */
export interface CheckedOut {
  readonly client: pg.PoolClient;
  /** the connection error the client emitted while checked out, if any (the query under way rejects with it too) */
  readonly broken: () => Error | undefined;
  /** gives the client back; one that failed (`error`, or `broken`) is closed instead of reused */
  readonly release: (error?: Error) => void;
}

/**
 * Checks a client out of `pool` and listens for its connection errors in the pool's own callback. A pool stops
 * listening to a client when it hands it over, and it may hand it over while parsing a chunk of another answer that
 * ends with the server's goodbye for this very connection (a server shutting down sends `57P01` right after a
 * statement's result): `await pool.connect()` would attach a listener only after that chunk, and node-postgres emits
 * an error nobody hears, which ends the process.
 */
export const checkOut = (pool: pg.Pool): Promise<CheckedOut> =>
  new Promise((resolve, reject) => {
    pool.connect((error, client, done) => {
      if (error !== undefined || client === undefined) {
        reject(error ?? new Error('the pool handed over no client'));
        return;
      }
      let broken: Error | undefined;
      const lost = (failure: Error): void => {
        broken ??= failure;
      };
      client.on('error', lost);
      resolve({
        client,
        broken: () => broken,
        release: (failure) => {
          client.off('error', lost);
          done(failure ?? broken);
        },
      });
    });
  });
