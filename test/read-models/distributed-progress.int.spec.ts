import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteReadStore } from '../../infra/sqlite/sqlite-read-store';
import type { CheckpointStore } from '../../ports/event-store';
import type { ReadStore } from '../../ports/read-store';
import { allProjections } from '../../projections';
import { ordersProjection } from '../../projections/orders/projection';
import { collectionName } from '../../projections/projection';
import { PROGRESS_COLLECTION, type SourceProgress } from '../../projections/worker';
import { DistributedProgress } from '../../read-api/distributed-progress';

/**
 * Read-your-writes in distributed mode, on a real (SQLite) read store: the relay's checkpoint and the partitions' end
 * offsets stand in for PostgreSQL and Kafka, counted, so the test sees how often they are asked.
 */
describe('distributed progress (read-your-writes across processes)', () => {
  let dir: string;
  let readStore: ReadStore;
  let relay: number;
  let ends: Map<string, number>;
  const asked = { relay: 0, ends: 0 };
  const checkpoints: CheckpointStore = {
    load: () => {
      asked.relay += 1;
      return Promise.resolve(relay);
    },
    save: () => Promise.resolve(),
  };

  /** the orders projector applied `source` through `sequence`, that event being at global `position` */
  const applied = async (source: string, sequence: number, position: number): Promise<void> => {
    const body: SourceProgress = {
      projection: ordersProjection.name,
      version: ordersProjection.version,
      source,
      sequence,
      position,
      updatedAt: new Date().toISOString(),
    };
    await readStore.putMany(PROGRESS_COLLECTION, [
      { id: `${collectionName(ordersProjection)}@${source}`, body: { ...body }, progress: {}, expectedVersion: 'any' },
    ]);
  };

  const progress = (pollMs = 25): DistributedProgress =>
    new DistributedProgress({
      readStore,
      checkpoints,
      relayCheckpoint: 'relay',
      endOffsets: () => {
        asked.ends += 1;
        return Promise.resolve(new Map(ends));
      },
      projections: allProjections,
      pollMs,
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'commerce-progress-'));
    readStore = openSqliteReadStore({ path: join(dir, 'reads.db') });
    relay = 10;
    ends = new Map([
      ['orders/0', 5],
      ['orders/1', 3],
    ]);
    asked.relay = 0;
    asked.ends = 0;
  });

  afterEach(async () => {
    await readStore.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers the relay position once every partition is applied to its end, else what the laggard applied', async () => {
    await applied('orders/0', 4, 9);
    await applied('orders/1', 1, 6);
    expect(await progress().position('orders')).to.equal(6);
    await applied('orders/1', 2, 8);
    expect(await progress().position('orders')).to.equal(10);
  });

  it('asks the relay, the broker and the read store once for many requests at the same moment', async () => {
    await applied('orders/0', 4, 9);
    await applied('orders/1', 2, 8);
    const shared = progress();
    const answers = await Promise.all(Array.from({ length: 50 }, () => shared.position('orders')));
    expect(new Set(answers)).to.deep.equal(new Set([10]));
    expect(asked).to.deep.equal({ relay: 1, ends: 1 });
  });

  it('lets waiting requests share each look, and answers them once the projector got there', async () => {
    await applied('orders/0', 4, 9);
    await applied('orders/1', 1, 6);
    const shared = progress(20);
    const waits = Array.from({ length: 30 }, () => shared.waitFor('orders', 10, 5_000));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await applied('orders/1', 2, 8);
    const started = Date.now();
    expect(await Promise.all(waits)).to.deep.equal(Array.from({ length: 30 }, () => true));
    expect(Date.now() - started, 'answered within a few looks').to.be.below(1_000);
    // 30 requests looking every 20 ms for ~0.2 s would have asked ~300 times each; shared, about once per 20 ms
    expect(asked.ends).to.be.below(40);
    expect(asked.relay).to.equal(asked.ends);
  });

  it('answers false at the deadline when the projector never gets there', async () => {
    await applied('orders/0', 4, 9);
    await applied('orders/1', 1, 6);
    expect(await progress().waitFor('orders', 10, 100)).to.equal(false);
  });

  it('asks again after a failed look instead of keeping its failure', async () => {
    await applied('orders/0', 4, 9);
    await applied('orders/1', 2, 8);
    let fail = true;
    const flaky = new DistributedProgress({
      readStore,
      checkpoints,
      relayCheckpoint: 'relay',
      endOffsets: () => (fail ? Promise.reject(new Error('broker away')) : Promise.resolve(new Map(ends))),
      projections: allProjections,
    });
    const failure = await flaky.position('orders').then(
      () => 'answered',
      (error: unknown) => (error as Error).message,
    );
    expect(failure).to.equal('broker away');
    fail = false;
    expect(await flaky.position('orders')).to.equal(10);
  });
});
