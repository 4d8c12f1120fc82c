import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPgEventStore, type PgEventStore } from '../../infra/postgres/pg-event-store';
import { openPgReadStore } from '../../infra/postgres/pg-read-store';
import type { ReadStore } from '../../ports/read-store';
import { allProjections } from '../../projections';
import { collectionName } from '../../projections/projection';
import type { EngineProcess } from '../../tools/services/engine-process';
import { postgresSchemas } from '../postgres-schemas';
import {
  Cluster,
  RELAY_HOLDS_LEASE,
  call,
  expectEachOrderOnce,
  expectReadModelsEqualFold,
  logHas,
  ordersNotEnded,
  readAllEvents,
  sleep,
  untilQuiet,
  describeOrders,
  removeTestDir,
  trackFailures,
} from './cluster-kit';

const ORDERS = 360;
const HOT_STOCK = 40;
const SKUS = ['MUG-1', 'TEE-1', 'CAP-1', 'HOT-1'];

/**
 * Issue 17's scale test: every process kind twice on PostgreSQL and Kafka (one relay active, one standing by), load
 * through both command APIs, and one projector, one saga runner and the active relay SIGKILLed in turn mid-load. The
 * survivors take over (the relay's lease, the consumer groups' partitions, the saga runners' shared timers and
 * dispatch log) and every order completes exactly once.
 */
describe('every process kind scaled out on PostgreSQL and Kafka, killed in turn under load', function () {
  const failures = trackFailures();
  this.timeout(420_000);
  const schemas = postgresSchemas('scale');
  const run = `x${Date.now().toString(36)}`;
  let dir: string;
  let cluster: Cluster | undefined;
  let store: PgEventStore | undefined;
  let readStore: ReadStore | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'commerce-scale-'));
  });
  after(async () => {
    await cluster?.stopAll();
    await store?.close();
    await readStore?.close();
    removeTestDir(dir, failures);
  });

  it('completes every order once, with read models equal to a fresh fold, 0 oversold and 0 doubled payments', async () => {
    const [eventSchema, readSchema] = [schemas.next(), schemas.next()];
    const c = new Cluster({ dir, postgresUrl: schemas.url, eventSchema, readSchema, topicPrefix: `${run}.` });
    cluster = c;
    // a provider that takes a while, as real ones do: a runner always has commands in flight when it is killed
    await c.startPaymentSimulator({ SIM_LATENCY_MS: '100-300' });
    const relayA = await c.start('relay-a', 'relay');
    const relayB = await c.start('relay-b', 'relay');
    expect(logHas(relayA, RELAY_HOLDS_LEASE), 'relay-a is the active one').to.equal(true);
    const apis = [await c.start('command-api-a', 'command-api'), await c.start('command-api-b', 'command-api')];
    const projectorA = await c.start('projector-a', 'projector');
    await c.start('projector-b', 'projector');
    const sagaA = await c.start('saga-runner-a', 'saga-runner');
    const sagaB = await c.start('saga-runner-b', 'saga-runner');
    const readApi = await c.start('read-api', 'read-api');
    const api = (i: number): EngineProcess => apis[i % 2] as EngineProcess;

    for (const [i, sku] of SKUS.entries()) {
      await call(api(0), 'PUT', `/v1/skus/${sku}`, {
        name: sku,
        unitPrice: { amount: 500 + i * 250, currency: 'EUR' },
      });
      await call(api(1), 'POST', `/v1/skus/${sku}/restock`, { quantity: sku === 'HOT-1' ? HOT_STOCK : 10_000 });
    }

    // the kills, in turn, each once a share of the orders was placed
    const kills: { at: number; name: string; victim: EngineProcess }[] = [
      { at: Math.floor(ORDERS / 4), name: 'projector', victim: projectorA },
      { at: Math.floor(ORDERS / 2), name: 'saga runner', victim: sagaA },
      { at: Math.floor((3 * ORDERS) / 4), name: 'active relay', victim: relayA },
    ];
    const orderIds: string[] = [];
    const place = async (i: number): Promise<void> => {
      const orderId = `${run}-o-${i}`;
      orderIds.push(orderId);
      // a third want the hot SKU, of which there is not enough for all; every tenth card is declined
      const lines = [
        { sku: SKUS[i % 3] ?? 'MUG-1', quantity: 1 + (i % 2) },
        ...(i % 3 === 0 ? [{ sku: 'HOT-1', quantity: 1 }] : []),
      ];
      await call(api(i), 'POST', '/v1/orders', {
        orderId,
        customerId: `c-${i % 23}`,
        lines,
        payment: { token: i % 10 === 7 ? 'tok_decline' : 'tok_approve' },
      });
    };
    const concurrency = 12;
    for (let i = 0; i < ORDERS; i += concurrency) {
      await Promise.all(Array.from({ length: Math.min(concurrency, ORDERS - i) }, (_, k) => place(i + k)));
      for (const kill of kills) if (kill.at >= i && kill.at < i + concurrency) await kill.victim.kill();
      await sleep(40);
    }

    // every order reaches an end, by the survivors
    store = await openPgEventStore({ url: schemas.url, schema: eventSchema });
    const stuck = await ordersNotEnded(store, orderIds, 240_000);
    expect(stuck.slice(0, 10), `${stuck.length} orders never ended`).to.deep.equal([]);
    for (const kill of kills) expect(kill.victim.child.signalCode, `${kill.name} was SIGKILLed`).to.equal('SIGKILL');
    expect(logHas(relayB, RELAY_HOLDS_LEASE), 'the standby relay took over').to.equal(true);
    expect(logHas(sagaB, 'took over stale dispatch steps'), "saga-runner-b re-sent a's unfinished steps").to.equal(
      true,
    );

    await untilQuiet(store);
    const events = await readAllEvents(store);
    const confirmed = expectEachOrderOnce(events, orderIds);
    const hotSold = confirmed.filter((id) => Number(id.split('-o-')[1]) % 3 === 0).length;
    expect(hotSold, 'hot SKU units sold: never more than there were').to.be.within(1, HOT_STOCK);
    expect(confirmed.length, 'declined cards and the sold-out SKU cancel some orders, not all').to.be.within(
      ORDERS / 2,
      ORDERS - ORDERS / 10,
    );

    readStore = await openPgReadStore({ url: schemas.url, schema: readSchema });
    await expectReadModelsEqualFold(readApi, events[events.length - 1]?.position ?? 0, readStore, store);
    const skus = allProjections.find((p) => p.name === 'skus');
    if (skus === undefined) throw new Error('no skus read model');
    // a confirmed order holds its units until it ships: reserved is exactly what was sold, never more than came in
    const hot = (await readStore.get(collectionName(skus), 'HOT-1'))?.body;
    if (hot?.reserved !== hotSold) {
      // for the post-mortem: every order whose units of the hot SKU do not match its end (1 if confirmed, else 0)
      const held = new Map<string, { units: number; events: string[] }>();
      for (const e of events.filter((x) => x.streamId === 'sku-HOT-1')) {
        const orderId = (e.data as { orderId?: string }).orderId;
        if (orderId === undefined) continue;
        const entry = held.get(orderId) ?? { units: 0, events: [] };
        const delta = e.type.startsWith('StockReserved') ? 1 : e.type.startsWith('Reservation') ? -1 : 0;
        held.set(orderId, { units: entry.units + delta, events: [...entry.events, `${e.type}@${e.position}`] });
      }
      const sold = new Set(confirmed);
      const odd = [...held].filter(([id, h]) => h.units !== (sold.has(id) ? 1 : 0));
      process.stdout.write(
        `      hot SKU: ${JSON.stringify(hot)}; orders whose hot units do not match their end:\n` +
          `${odd.map(([id, h]) => `${id}: ${h.events.join(', ')}`).join('\n')}\n` +
          `${await describeOrders(
            store,
            odd.map(([id]) => id),
          )}\n`,
      );
    }
    expect(hot, 'the hot SKU').to.deep.include({
      onHand: HOT_STOCK,
      reserved: hotSold,
      available: HOT_STOCK - hotSold,
    });
  });
});
