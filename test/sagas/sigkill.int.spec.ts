import { expect } from 'chai';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { expectEachOrderOnce } from './order-log-checks';
import { defineSku, placeOrder, restock } from './runner-harness';

const ORDERS = 60;
const UNITS = 40;

/** The engine in its own process, talked to over HTTP and stdin/stdout. */
class EngineProcess {
  private readonly lines: string[] = [];
  private readonly waiters: ((line: string) => void)[] = [];
  url = '';

  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const waiter = this.waiters.shift();
      if (waiter) waiter(line);
      else this.lines.push(line);
    });
  }

  static async start(dataDir: string, env: Record<string, string>): Promise<EngineProcess> {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', join(__dirname, 'runner-sigkill-child.ts')], {
      // every placement reaches the saga (no sold-out fast path); and the restarted process's simulator has forgotten
      // the first one's authorizations, so their captures fail for good: a breaker would take that for an outage
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        PORT: '0',
        LOG_LEVEL: 'silent',
        FLOW_CONTROL: 'off',
        PROVIDER_BREAKER: 'off',
        ...env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const engine = new EngineProcess(child);
    const ready = JSON.parse(await engine.next(30_000)) as { url: string };
    engine.url = ready.url;
    return engine;
  }

  next(timeoutMs: number): Promise<string> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no answer from the engine process within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  }

  async idle(): Promise<number> {
    this.child.stdin.write('idle\n');
    const answer = JSON.parse(await this.next(60_000)) as { idle?: number; error?: string };
    if (answer.idle === undefined) throw new Error(answer.error ?? 'no idle answer');
    return answer.idle;
  }

  async request(req: { method: string; path: string; body?: unknown }): Promise<number> {
    const response = await fetch(`${this.url}${req.path}`, {
      method: req.method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(req.body ?? {}),
    });
    await response.text();
    return response.status;
  }

  kill(): Promise<void> {
    return new Promise((resolve) => {
      this.child.once('exit', () => {
        resolve();
      });
      this.child.kill('SIGKILL');
    });
  }
}

describe('the engine killed with SIGKILL while sagas are in flight', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'commerce-sigkill-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('finishes every order after a restart, reserving and charging each at most once', async () => {
    // provider latency keeps payments in flight at the moment of the kill
    const first = await EngineProcess.start(dir, { SIM_LATENCY_MS: '100-400', PROVIDER_BACKOFF_MS: '10' });
    expect(await first.request(defineSku('HOT-1', 500))).to.equal(201);
    expect(await first.request(restock('HOT-1', UNITS))).to.equal(200);
    const placed = await Promise.all(
      Array.from({ length: ORDERS }, (_, i) => first.request(placeOrder(`k-${i}`, [{ sku: 'HOT-1', quantity: 1 }]))),
    );
    expect(placed.every((s) => s === 202)).to.equal(true);
    await first.kill();

    const second = await EngineProcess.start(dir, { PROVIDER_BACKOFF_MS: '10' });
    try {
      await second.idle();
    } finally {
      await second.kill();
    }

    await expectEachOrderOnce(join(dir, 'events.db'), {
      orderIds: Array.from({ length: ORDERS }, (_, i) => `k-${i}`),
      sku: 'HOT-1',
      units: UNITS,
    });
  }).timeout(120_000);
});
