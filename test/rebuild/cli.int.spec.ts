import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { runProjectionsCli, type ProjectionsCliIo } from '../../app/cli/projections';
import { loadConfig } from '../../app/config';
import { createLogger } from '../../infra/observability/logger';
import { allProjections } from '../../projections';
import { readEntry, registerRebuildMetrics } from '../../projections/registry';
import { startTestApi, type TestApi } from '../api-spec';
import { changedOrders, seedOrders } from './helpers';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const logger = createLogger('silent');
const bumped = allProjections.map((p) => (p.name === 'orders' ? changedOrders() : p));

describe('the commerce projections command', () => {
  let api: TestApi;
  let dir: string;
  beforeEach(async () => {
    api = await startTestApi();
    dir = mkdtempSync(join(tmpdir(), 'commerce-cli-'));
  });
  afterEach(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (argv: readonly string[], io: ProjectionsCliIo = {}): Promise<Run> => {
    let stdout = '';
    let stderr = '';
    const code = await runProjectionsCli(argv, loadConfig({ DATA_DIR: dir }), logger, {
      stores: { eventStore: api.store, readStore: api.engine.readStore },
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      isTTY: false,
      handoverTimeoutMs: 100,
      ...io,
    });
    return { code, stdout, stderr };
  };

  it('prints its help with --help on every subcommand and exits 0', async () => {
    for (const argv of [
      ['--help'],
      ['list', '--help'],
      ['rebuild', '--help'],
      ['reset', '-h'],
      ['drop-old', '--help'],
    ]) {
      const result = await run(argv);
      expect(result.code, argv.join(' ')).to.equal(0);
      expect(result.stdout).to.contain('Usage: commerce projections');
    }
  });

  it('exits 2 with a one-line reason on bad usage', async () => {
    for (const argv of [
      [],
      ['frobnicate'],
      ['rebuild'],
      ['rebuild', 'nope'],
      ['rebuild', 'orders', '--all'],
      ['rebuild', 'orders', '--threshold', 'x'],
      ['rebuild', 'orders', '--bogus'],
      ['reset', 'orders'],
    ]) {
      const result = await run(argv);
      expect(result.code, argv.join(' ')).to.equal(2);
      expect(result.stderr.trim().split('\n'), argv.join(' ')).to.have.length(1);
    }
  });

  it('lists every projection as JSON, with the rebuild due when the code version is bumped', async () => {
    await seedOrders(api, 5);
    const current = await run(['list', '--json']);
    expect(current.code).to.equal(0);
    const parsed = JSON.parse(current.stdout) as { projections: { name: string; state: string }[] };
    expect(parsed.projections.map((p) => p.name)).to.deep.equal([
      'orders',
      'skus',
      'payments',
      'sales',
      'promotions',
      'coupons',
      'order_sagas',
    ]);
    expect(parsed.projections.every((p) => p.state === 'live')).to.equal(true);

    const due = await run(['list'], { projections: bumped });
    expect(due.code).to.equal(0);
    expect(due.stdout).to.match(/orders\s+v3\s+orders_v2 \(v2\)\s+\d+\s+0\s+5\s+rebuild due/);
  });

  it('rebuilds with --verify: exits 1 naming the first difference, then switches with --force', async () => {
    await seedOrders(api, 10);
    const refused = await run(['rebuild', 'orders', '--verify'], { projections: bumped });
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(/verification found 10 differences \(first: \S+ body at customerId/);
    const forced = await run(['rebuild', 'orders', '--verify', '--force', '--json'], { projections: bumped });
    expect(forced.code, forced.stderr).to.equal(0);
    const body = JSON.parse(forced.stdout) as { results: { outcome: string; target: string }[] };
    expect(body.results[0]).to.include({ outcome: 'switched', target: 'orders_v3' });
    const listed = JSON.parse((await run(['list', '--json'], { projections: bumped })).stdout) as {
      projections: { name: string; collection: string; state: string }[];
    };
    expect(listed.projections[0]).to.include({ collection: 'orders_v3', state: 'live' });
    const dropped = await run(['drop-old', 'orders', '--json']);
    expect(JSON.parse(dropped.stdout)).to.deep.equal({ name: 'orders', dropped: ['orders_v2'] });
  });

  it('rebuilds --all and prints plain progress lines when not on a terminal', async () => {
    await seedOrders(api, 10);
    const result = await run(['rebuild', '--all', '--batch', '3']);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout.match(/: switched /g)).to.have.length(7);
    expect(result.stderr).to.match(/orders → orders_v2_1 \w+ \d+% /);
  });

  it('resets a projection in place only with --yes', async () => {
    await seedOrders(api, 4);
    const result = await run(['reset', 'skus', '--yes', '--json']);
    expect(result.code, result.stderr).to.equal(0);
    expect(JSON.parse(result.stdout)).to.include({ name: 'skus', target: 'skus_v2', outcome: 'switched' });
    expect(await api.engine.readStore.count('skus_v2')).to.equal(1);
  });

  it('reports projection_rebuild_due in the metrics', async () => {
    const registry = new Registry();
    registerRebuildMetrics(registry, api.engine.readStore, bumped);
    const text = await registry.metrics();
    expect(text).to.contain('projection_rebuild_due{projection="orders"} 1');
    expect(text).to.contain('projection_rebuild_due{projection="skus"} 0');
    expect((await readEntry(api.engine.readStore, bumped[0] ?? changedOrders())).entry.live.version).to.equal(2);
  });
});
