import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEngineProcess, type EngineProcess } from '../../tools/services/engine-process';
import { isAlive, processTree, sleep } from '../../tools/services/proc';
import { expectEachOrderOnce } from './order-log-checks';
import { defineSku, placeOrder, restock } from './runner-harness';

const ORDERS = 80;
const UNITS = 50;
const SKU = 'HOT-1';

type Request = ReturnType<typeof placeOrder>;

const send = async (url: string, req: Request): Promise<number> => {
  const response = await fetch(`${url}${req.path}`, {
    method: req.method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(req.body ?? {}),
  });
  await response.text();
  return response.status;
};

/** The workers `serve` started (sagas, projections): its child processes. */
const workersOf = (engine: EngineProcess): number[] => {
  const [, ...workers] = processTree(engine.pid);
  expect(workers, `serve (${engine.pid}) runs two workers`).to.have.length(2);
  return workers;
};

/** Waits until the read API shows every order confirmed or cancelled. */
const settled = async (url: string, orderIds: readonly string[], timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  const open = new Set(orderIds);
  while (open.size > 0) {
    for (const orderId of [...open]) {
      const response = await fetch(`${url}/v1/orders/${orderId}`);
      const body = (await response.json()) as { status?: string };
      if (body.status === 'Confirmed' || body.status === 'Cancelled') open.delete(orderId);
    }
    if (open.size === 0) return;
    if (Date.now() > deadline) throw new Error(`${open.size} orders not settled, e.g. ${[...open][0] ?? ''}`);
    await sleep(200);
  }
};

const placeAll = async (url: string, orderIds: readonly string[]): Promise<void> => {
  const statuses = await Promise.all(orderIds.map((id) => send(url, placeOrder(id, [{ sku: SKU, quantity: 1 }]))));
  expect(statuses.every((s) => s === 202)).to.equal(true);
};

/** `serve` as users run it (split layout: HTTP here, sagas and projections in its worker), killed mid-load. */
describe('serve (split layout) killed with SIGKILL mid-load', function () {
  this.timeout(180_000);
  let dir: string;
  let running: EngineProcess | undefined;
  // provider latency keeps payments in flight at the moment of the kill; every placement reaches the saga (no
  // sold-out fast path), and no breaker: a restarted simulator has forgotten the first one's authorizations, so their
  // captures fail for good, which a breaker would take for an outage
  const env = (): Record<string, string> => ({
    DATA_DIR: dir,
    SIM_LATENCY_MS: '50-200',
    PROVIDER_BACKOFF_MS: '10',
    FLOW_CONTROL: 'off',
    PROVIDER_BREAKER: 'off',
  });
  const orderIds = Array.from({ length: ORDERS }, (_, i) => `s-${i}`);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'commerce-split-kill-'));
  });
  afterEach(async () => {
    await running?.kill();
    running = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts its workers again when only they are killed, and finishes every order once', async () => {
    running = await startEngineProcess({ name: 'serve', subcommand: 'serve', env: env(), logDir: dir });
    const { url } = running;
    expect(await send(url, defineSku(SKU, 500))).to.equal(201);
    expect(await send(url, restock(SKU, UNITS))).to.equal(200);
    const first = workersOf(running);

    const placing = placeAll(url, orderIds.slice(0, ORDERS / 2));
    await sleep(150);
    for (const pid of first) process.kill(pid, 'SIGKILL');
    await placing;
    // the command API keeps taking orders while the worker is away
    await placeAll(url, orderIds.slice(ORDERS / 2));

    await settled(url, orderIds, 60_000);
    const second = workersOf(running);
    expect(second.filter((pid) => first.includes(pid))).to.deep.equal([]);
    const log = readFileSync(running.logFile, 'utf8');
    expect(log.split('engine worker died; starting it again').length - 1).to.equal(2);
    expect(await running.stop()).to.equal(0);
    await expectEachOrderOnce(join(dir, 'events.db'), { orderIds, sku: SKU, units: UNITS });
  });

  it('leaves no worker behind when serve itself is killed, and finishes every order after a restart', async () => {
    running = await startEngineProcess({ name: 'serve', subcommand: 'serve', env: env(), logDir: dir });
    expect(await send(running.url, defineSku(SKU, 500))).to.equal(201);
    expect(await send(running.url, restock(SKU, UNITS))).to.equal(200);
    const workers = workersOf(running);
    await placeAll(running.url, orderIds);
    await running.kill();
    for (let i = 0; i < 50 && workers.some(isAlive); i++) await sleep(100);
    expect(workers.filter(isAlive), 'the workers exit once serve is gone').to.deep.equal([]);

    running = await startEngineProcess({ name: 'serve-again', subcommand: 'serve', env: env(), logDir: dir });
    await settled(running.url, orderIds, 60_000);
    expect(await running.stop()).to.equal(0);
    await expectEachOrderOnce(join(dir, 'events.db'), { orderIds, sku: SKU, units: UNITS });
  });
});
