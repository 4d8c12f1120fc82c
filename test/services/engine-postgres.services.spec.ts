import { expect } from 'chai';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { postgresUrlFromEnv, withTimeout } from '../../tools/services/clients';
import { startEngineProcess, type EngineProcess } from '../../tools/services/engine-process';

/**
 * The whole engine as `npm start` runs it (`commerce serve`), on a real PostgreSQL event store: orders placed over
 * HTTP are carried by the sagas (in their worker process, woken by NOTIFY) to Confirmed or Cancelled, and the log in
 * PostgreSQL has no gap. Each layout gets its own schemas, dropped afterwards.
 */
const postgresUrl = postgresUrlFromEnv();
const runId = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

interface OrderView {
  readonly status?: string;
  readonly cancellationReason?: string;
}

const json = async (response: Response): Promise<unknown> => {
  const text = await response.text();
  if (!response.ok) throw new Error(`${response.status} ${response.url}: ${text}`);
  return JSON.parse(text) as unknown;
};

const send = async (url: string, method: string, body: unknown, headers: Record<string, string> = {}) =>
  json(
    await fetch(url, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    }),
  );

/** Polls the order until its status is one of `statuses` (bounded). */
const orderReaches = async (
  base: string,
  orderId: string,
  statuses: readonly string[],
  timeoutMs = 30_000,
): Promise<OrderView> => {
  const deadline = Date.now() + timeoutMs;
  let last: OrderView = {};
  while (Date.now() < deadline) {
    const response = await fetch(`${base}/v1/orders/${orderId}`);
    if (response.ok) {
      last = (await response.json()) as OrderView;
      if (last.status !== undefined && statuses.includes(last.status)) return last;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `order ${orderId} did not reach ${statuses.join('|')} in ${timeoutMs} ms (last: ${JSON.stringify(last)})`,
  );
};

const layouts = [
  { layout: 'split', readStore: 'postgres' },
  { layout: 'single', readStore: 'sqlite' },
] as const;

describe('the engine on a PostgreSQL event store (commerce serve as a process)', function () {
  this.timeout(180_000);

  for (const { layout, readStore } of layouts) {
    describe(`with ENGINE_LAYOUT=${layout} and READ_STORE=${readStore}`, () => {
      const eventSchema = `e2e_events_${layout}_${runId}`;
      const readSchema = `e2e_read_${layout}_${runId}`;
      let dataDir: string;
      let engine: EngineProcess | undefined;
      let admin: pg.Client;

      before(async () => {
        admin = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 10_000 });
        await withTimeout(admin.connect(), 10_000, 'connecting to PostgreSQL');
        dataDir = mkdtempSync(join(tmpdir(), `commerce-pg-engine-${layout}-`));
        engine = await startEngineProcess({
          name: `serve-postgres-${layout}`,
          subcommand: 'serve',
          logDir: dataDir,
          readyTimeoutMs: 120_000,
          env: {
            EVENT_STORE: 'postgres',
            POSTGRES_URL: postgresUrl,
            POSTGRES_EVENT_SCHEMA: eventSchema,
            READ_STORE: readStore,
            POSTGRES_READ_SCHEMA: readSchema,
            ENGINE_LAYOUT: layout,
            DATA_DIR: dataDir,
            LOG_LEVEL: 'warn',
          },
        });
      });

      after(async () => {
        const code = await engine?.stop(20_000);
        if (code !== 0 && engine !== undefined)
          process.stderr.write(`${engine.name} exited ${code}:\n${engine.tail()}\n`);
        await admin.query(`DROP SCHEMA IF EXISTS "${eventSchema}" CASCADE`);
        await admin.query(`DROP SCHEMA IF EXISTS "${readSchema}" CASCADE`);
        await withTimeout(admin.end(), 10_000, 'closing the admin client');
        rmSync(dataDir, { recursive: true, force: true });
      });

      it('confirms paid orders and cancels a declined one, and the log in PostgreSQL has no gap', async () => {
        if (engine === undefined) throw new Error('the engine did not start');
        const base = engine.url;
        await send(`${base}/v1/skus/MUG-1`, 'PUT', { name: 'Mug', unitPrice: { amount: 1250, currency: 'EUR' } });
        await send(`${base}/v1/skus/MUG-1/restock`, 'POST', { quantity: 100 });

        const place = async (token: string): Promise<string> => {
          const placed = (await send(
            `${base}/v1/orders`,
            'POST',
            { customerId: 'c-1', lines: [{ sku: 'MUG-1', quantity: 2 }], payment: { token } },
            { 'Idempotency-Key': randomUUID() },
          )) as { orderId: string; status: string };
          expect(placed.status).to.equal('Placed');
          return placed.orderId;
        };
        const paid = await Promise.all(Array.from({ length: 8 }, () => place('tok_approve')));
        const declined = await place('tok_decline');

        for (const orderId of paid) {
          expect((await orderReaches(base, orderId, ['Confirmed', 'Cancelled'])).status).to.equal('Confirmed');
        }
        const cancelled = await orderReaches(base, declined, ['Confirmed', 'Cancelled']);
        expect(cancelled.status).to.equal('Cancelled');

        const sku = (await json(await fetch(`${base}/v1/skus/MUG-1`))) as { reserved?: number; onHand?: number };
        expect(sku.onHand).to.equal(100);

        const { rows } = await admin.query<{ head: string; count: string; min: string | null; max: string | null }>(
          `SELECT (SELECT position FROM "${eventSchema}".log_head) AS head, count(*) AS count,
                  min(position) AS min, max(position) AS max
             FROM "${eventSchema}".events`,
        );
        const stats = rows[0];
        expect(Number(stats?.count)).to.be.above(9 * 4);
        expect(Number(stats?.min)).to.equal(1);
        expect(Number(stats?.max)).to.equal(Number(stats?.count));
        expect(Number(stats?.head)).to.equal(Number(stats?.count));
      });
    });
  }
});
