import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { withTimeout } from '../../tools/services/clients';
import { rebuildSuite } from './rebuild-suite';

/** The rebuild suite with the engine's read store on a real PostgreSQL (the cluster test:services starts). */
const postgresUrl = process.env.POSTGRES_URL?.trim() ?? '';
const prefix = `rebuild_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const schemas: string[] = [];

describe('rebuilds into PostgreSQL', () => {
  if (postgresUrl === '') {
    // PostgreSQL can run here, so a missing server is a broken setup, not a reason to skip
    throw new Error('POSTGRES_URL is not set: run this suite through npm run test:services, which starts PostgreSQL');
  }
  let admin: pg.Client | undefined;
  before(async () => {
    const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 10_000 });
    await withTimeout(client.connect(), 10_000, `connecting to ${postgresUrl}`);
    admin = client;
  });
  after(async () => {
    if (admin === undefined) return;
    const client = admin;
    try {
      for (const schema of schemas.splice(0)) {
        await withTimeout(client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`), 30_000, `dropping ${schema}`);
      }
    } finally {
      await client.end();
    }
  });

  rebuildSuite('on PostgreSQL', () => {
    const schema = `${prefix}_${schemas.length}`;
    schemas.push(schema);
    return { READ_STORE: 'postgres', POSTGRES_URL: postgresUrl, POSTGRES_READ_SCHEMA: schema };
  });
});
