import { expect } from 'chai';
import { runDlq } from '../../app/cli/dlq';
import { loadConfig, type Config } from '../../app/config';
import { createLogger } from '../../infra/observability/logger';
import { openSqliteReadStore } from '../../infra/sqlite/sqlite-read-store';
import { ordersProjection } from '../../projections';
import { ensureRegistered, writeEntry } from '../../projections/registry';
import { SagaWorld } from './saga-world';

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

describe('commerce dlq', () => {
  let world: SagaWorld;
  let config: Config;

  const dlq = async (...argv: string[]): Promise<Run> => {
    let out = '';
    let err = '';
    const code = await runDlq(argv, config, createLogger('silent'), {
      env: {},
      clock: world.clock,
      provider: world.provider,
      stdout: (text) => (out += text),
      stderr: (text) => (err += text),
    });
    return { code, out, err };
  };

  beforeEach(async () => {
    world = await SagaWorld.start();
    config = loadConfig({ DATA_DIR: world.dir });
    await world.stock('MUG-1', 10);
    world.failing.add('saga-fulfilment-o-bad');
    await world.place('o-bad', 'MUG-1');
    await world.running.idle(10_000);
    // the operator works while the engine is down, as after an incident
    await world.stopSagas();
  });
  afterEach(async () => {
    await world.close();
  });

  it('lists the dead letters as JSON', async () => {
    const run = await dlq('list', '--json');
    expect(run.code).to.equal(0);
    const body = JSON.parse(run.out) as { deadLetters: { consumer: string; key: string; attempts: number }[] };
    expect(body.deadLetters).to.have.length(1);
    expect(body.deadLetters[0]).to.deep.include({ consumer: 'saga-runner', key: 'saga-fulfilment-o-bad', attempts: 3 });
  });

  it('lists them as a table for people, filtered by consumer', async () => {
    const run = await dlq('list');
    expect(run.code).to.equal(0);
    expect(run.out).to.match(/^ID\s+CONSUMER\s+KEY\s+EVENT/);
    expect(run.out).to.contain('OrderPlaced.v1 order-o-bad@0');
    expect((await dlq('list', '--consumer', 'projection:orders')).out).to.equal('no dead letters\n');
  });

  it('retries a letter against the event store: the saga starts and reserves the stock', async () => {
    const [letter] = await world.deadLetters.list();
    const run = await dlq('retry', String(letter?.id));
    expect(run).to.deep.include({ code: 0, err: '' });
    expect(run.out).to.equal(`retried ${letter?.id}\n`);
    expect(await world.types('saga-fulfilment-o-bad')).to.deep.equal(['FulfilmentStarted']);
    expect(await world.types('sku-MUG-1')).to.include('StockReserved');
    expect(await world.deadLetters.list()).to.deep.equal([]);
  });

  it('hands a projection letter back to its projection', async () => {
    const [placed] = await world.store.readStream('order-o-bad');
    if (placed === undefined) throw new Error('no OrderPlaced');
    await world.deadLetters.record({
      consumer: 'projection:orders',
      key: 'o-bad',
      event: { ...placed, source: '$all', sequence: placed.position },
      error: 'Error: the read store was down',
      attempts: 3,
    });
    const [, letter] = await world.deadLetters.list();
    const run = await dlq('retry', String(letter?.id), '--json');
    expect(run.code).to.equal(0);
    expect(JSON.parse(run.out)).to.deep.equal({ retried: [letter?.id] });
    const readStore = openSqliteReadStore({ path: config.readSqlitePath });
    try {
      const doc = await readStore.get('orders_v2', 'o-bad');
      expect(doc?.body).to.include({ orderId: 'o-bad', status: 'Placed' });
    } finally {
      await readStore.close();
    }
  });

  it('hands a projection letter to the collection reads use after a rebuild switched them, leaving progress as it was', async () => {
    const [placed] = await world.store.readStream('order-o-bad');
    if (placed === undefined) throw new Error('no OrderPlaced');
    const readStore = openSqliteReadStore({ path: config.readSqlitePath });
    try {
      const { entry, version } = await ensureRegistered(readStore, ordersProjection);
      const live = { ...entry.live, collection: 'orders_v2_1' };
      expect(await writeEntry(readStore, { ...entry, live, old: ['orders_v2'] }, version)).to.equal(true);
      await world.deadLetters.record({
        consumer: 'projection:orders',
        key: 'o-bad',
        event: { ...placed, source: '$all', sequence: placed.position },
        error: 'Error: the read store was down',
        attempts: 3,
      });
      const progress = { id: 'orders_v2_1@$all', body: { sequence: 1_000, position: 1_000 } };
      await readStore.putMany('projection_progress', [{ ...progress, progress: {}, expectedVersion: 'any' }]);
      const [, letter] = await world.deadLetters.list();
      expect((await dlq('retry', String(letter?.id))).code).to.equal(0);
      expect((await readStore.get('orders_v2_1', 'o-bad'))?.body).to.include({ orderId: 'o-bad', status: 'Placed' });
      // the live consumer owns the source's progress: an old delivery retried out of band leaves it where it was
      expect((await readStore.get('projection_progress', 'orders_v2_1@$all'))?.body).to.deep.equal(progress.body);
    } finally {
      await readStore.close();
    }
  });

  it('fails with a one-line reason when a letter fails again', async () => {
    await world.deadLetters.record({
      consumer: 'saga-runner',
      key: 'order-o-broken',
      event: {
        eventId: 'e-1',
        streamId: 'order-o-broken',
        revision: 0,
        position: 99,
        type: 'OrderPlaced.v1',
        data: { nonsense: true },
        metadata: null,
        source: '$all',
        sequence: 99,
      },
      error: 'OrderPlaced.v1: cannot decode',
      attempts: 1,
    });
    const letter = (await world.deadLetters.list({ key: 'order-o-broken' }))[0];
    const run = await dlq('retry', String(letter?.id));
    expect(run.code).to.equal(1);
    expect(run.err).to.match(/^commerce dlq: dead letter \d+ failed again: .+\n$/);
    expect(run.err.split('\n')).to.have.length(2);
    expect((await world.deadLetters.get(letter?.id ?? -1))?.attempts).to.equal(2);
  });

  it('discards a letter', async () => {
    const [letter] = await world.deadLetters.list();
    const run = await dlq('discard', String(letter?.id), '--json');
    expect(run.code).to.equal(0);
    expect((JSON.parse(run.out) as { discarded: { id: number } }).discarded.id).to.equal(letter?.id);
    expect(await world.deadLetters.list()).to.deep.equal([]);
  });

  it('answers 1 with the reason for an unknown id', async () => {
    expect(await dlq('retry', '999')).to.deep.include({ code: 1, err: 'commerce dlq: no dead letter 999\n' });
    expect(await dlq('discard', '999')).to.deep.include({ code: 1, err: 'commerce dlq: no dead letter 999\n' });
  });

  it('shows its help, and answers 2 to bad usage', async () => {
    const help = await dlq('--help');
    expect(help.code).to.equal(0);
    expect(help.out).to.match(/^Usage: commerce dlq/);
    for (const argv of [
      [],
      ['frobnicate'],
      ['retry'],
      ['retry', 'x'],
      ['list', '--limit'],
      ['list', '--colour', 'red'],
    ]) {
      const run = await dlq(...argv);
      expect(run.code, argv.join(' ')).to.equal(2);
      expect(run.err, argv.join(' ')).to.match(/^commerce dlq: .+\n/);
    }
  });

  it('answers 2 for bad saga settings, naming the variable', async () => {
    let err = '';
    const code = await runDlq(['list'], config, createLogger('silent'), {
      env: { PROVIDER_RETRIES: 'many' },
      stderr: (text) => (err += text),
      stdout: () => undefined,
    });
    expect(code).to.equal(2);
    expect(err).to.match(/PROVIDER_RETRIES/);
  });
});
