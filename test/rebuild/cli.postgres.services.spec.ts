import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProjectionsCli } from '../../app/cli/projections';
import { loadConfig } from '../../app/config';
import { createLogger } from '../../infra/observability/logger';
import { startTestApi, type TestApi } from '../api-spec';
import { postgresSchemas } from '../postgres-schemas';
import { seedOrders } from './helpers';

/**
 * `commerce projections` as an operator runs it beside a live engine whose read models are on PostgreSQL: the command
 * opens its own stores from the configuration (the engine's SQLite event store file, the same PostgreSQL schema).
 */
describe('the commerce projections command on the PostgreSQL read store', function () {
  this.timeout(60_000);
  const schemas = postgresSchemas('cli');
  const postgresUrl = schemas.url;
  let schema: string;
  let dir: string;
  let env: Record<string, string>;
  let api: TestApi;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'commerce-cli-pg-'));
    schema = schemas.next();
    env = {
      DATA_DIR: dir,
      SQLITE_PATH: join(dir, 'events.db'),
      READ_STORE: 'postgres',
      POSTGRES_URL: postgresUrl,
      POSTGRES_READ_SCHEMA: schema,
    };
    api = await startTestApi(env);
  });

  afterEach(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
    await schemas.drop(schema);
  });

  const run = async (argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    let stdout = '';
    let stderr = '';
    const code = await runProjectionsCli(argv, loadConfig(env), createLogger('silent'), {
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
      isTTY: false,
      handoverTimeoutMs: 2_000,
    });
    return { code, stdout, stderr };
  };

  it('rebuilds with --verify, switches reads to the new collection and drops the old one', async () => {
    await seedOrders(api, 12);

    const rebuilt = await run(['rebuild', 'orders', '--verify', '--json']);
    expect(rebuilt.code, rebuilt.stderr).to.equal(0);
    const { results } = JSON.parse(rebuilt.stdout) as {
      results: { outcome: string; target: string; verification?: { differenceCount: number } }[];
    };
    expect(results[0]).to.include({ outcome: 'switched', target: 'orders_v2_1' });
    expect(results[0]?.verification?.differenceCount).to.equal(0);

    const listed = JSON.parse((await run(['list', '--json'])).stdout) as {
      projections: { name: string; collection: string; documents: number }[];
    };
    expect(listed.projections.find((p) => p.name === 'orders')).to.include({
      collection: 'orders_v2_1',
      documents: 12,
    });
    const dropped = await run(['drop-old', 'orders', '--json']);
    expect(JSON.parse(dropped.stdout)).to.deep.equal({ name: 'orders', dropped: ['orders_v2'] });
    expect(await api.engine.readStore.listCollections())
      .to.include('orders_v2_1')
      .and.not.include('orders_v2');
    const page = await api.request({ method: 'GET', path: '/v1/orders?limit=50' });
    expect((page.body.items as unknown[]).length).to.equal(12);
  });
});
