import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { withTimeout } from '../tools/services/clients';

/**
 * Throwaway schemas on the PostgreSQL that `npm run test:services` starts, for the specs of one `describe`: call it
 * inside the describe. Schemas are named after this run (`<label>_<time>_<random>_<n>`); `drop` removes one, and
 * after the describe every schema of the run is dropped, also those a failed cleanup left behind. A missing
 * POSTGRES_URL is a broken setup (PostgreSQL can run here), not a reason to skip.
 */
export interface PostgresSchemas {
  readonly url: string;
  /** a fresh schema name of this run */
  next(): string;
  drop(schema: string): Promise<void>;
  /** the admin connection, for what a spec asks the server itself (EXPLAIN, ANALYZE, …) */
  admin(): pg.Client;
}

export const postgresSchemas = (label: string): PostgresSchemas => {
  const url = process.env.POSTGRES_URL?.trim() ?? '';
  if (url === '') {
    throw new Error('POSTGRES_URL is not set: run this suite through npm run test:services, which starts PostgreSQL');
  }
  const prefix = `${label}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  let admin: pg.Client | undefined;
  let count = 0;
  const drop = async (schema: string): Promise<void> => {
    if (admin !== undefined) {
      await withTimeout(admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`), 30_000, `dropping ${schema}`);
    }
  };

  before(async () => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
    await withTimeout(client.connect(), 10_000, `connecting to ${url}`);
    admin = client;
  });

  after(async () => {
    if (admin === undefined) return;
    const client = admin;
    try {
      const { rows } = await client.query<{ name: string }>(
        'SELECT nspname AS name FROM pg_namespace WHERE starts_with(nspname, $1)',
        [prefix],
      );
      for (const { name } of rows) await drop(name);
    } finally {
      admin = undefined;
      await withTimeout(client.end(), 10_000, 'closing the admin client');
    }
  });

  return {
    url,
    next: () => `${prefix}_${(count += 1)}`,
    drop,
    admin: () => {
      if (admin === undefined) throw new Error('no admin connection to PostgreSQL (the before hook failed)');
      return admin;
    },
  };
};
