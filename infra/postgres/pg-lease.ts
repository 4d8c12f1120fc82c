import pg from 'pg';
import type { Lease, LeaseProvider } from '../../ports/lease';

export interface PgLeaseOptions {
  readonly url: string;
  /** how often a standby asks for the lease; default 500 ms */
  readonly retryMs?: number;
  /** TCP keep-alive so a holder's host that vanished is noticed by the server; default on */
  readonly keepAlive?: boolean;
}

/**
 * Leases as PostgreSQL session advisory locks (`pg_try_advisory_lock` on a 64-bit hash of the name), each held by a
 * connection of its own: the server releases the lock the moment that connection ends — a holder SIGKILLed or
 * partitioned away loses it without a timeout to wait out, and a standby polling every `retryMs` takes over.
 */
export const pgLeases = (options: PgLeaseOptions): LeaseProvider => ({
  async acquire(name, { signal, onWaiting } = {}) {
    const retryMs = options.retryMs ?? 500;
    const client = new pg.Client({ connectionString: options.url, keepAlive: options.keepAlive ?? true });
    let failed: (error: Error) => void = () => undefined;
    const lostConnection = new Promise<Error>((resolve) => {
      failed = resolve;
    });
    client.on('error', failed);
    client.on('end', () => {
      failed(new Error('connection ended'));
    });
    await client.connect();
    try {
      let waiting = false;
      for (;;) {
        signal?.throwIfAborted();
        const { rows } = await client.query<{ held: boolean }>(
          "SELECT pg_try_advisory_lock(('x' || substr(md5($1), 1, 16))::bit(64)::bigint) AS held",
          [`commerce-engine:${name}`],
        );
        if (rows[0]?.held === true) break;
        if (!waiting) onWaiting?.();
        waiting = true;
        await Promise.race([
          new Promise((resolve) => setTimeout(resolve, retryMs)),
          lostConnection.then((error) => Promise.reject(error)),
        ]);
      }
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    let released = false;
    const lease: Lease = {
      name,
      lost: lostConnection.then(() => undefined),
      async release() {
        if (released) return;
        released = true;
        // ending the session releases its advisory locks
        await client.end().catch(() => undefined);
      },
    };
    return lease;
  },
});
