import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { errorMessage, progress, seconds } from '../log';
import { cacheRoot, repoRoot } from '../paths';
import { startEngineProcess } from '../engine-process';
import { runCommand, waitUntil } from '../proc';

/**
 * `npm run test:schemathesis`: fuzzes a real engine against its own OpenAPI document with schemathesis (PyPI,
 * pinned in requirements.txt beside this file, installed into a venv under the cache dir), every check on:
 *  1. an open engine (no API_KEYS): the document declares no security and no 401/403;
 *  2. an engine with API_KEYS, called with an admin key (schemathesis also replays requests without it: 401);
 *  3. the same engine called without a key: every answer must be a documented 401.
 * Exits non-zero on any finding. SCHEMATHESIS_MAX_EXAMPLES (default 50) and SCHEMATHESIS_SEED bound and fix a run.
 */

const here = join(repoRoot(), 'tools', 'services', 'schemathesis');
const requirements = join(here, 'requirements.txt');
const configFile = join(here, 'schemathesis.toml');
const maxExamples = Number(process.env.SCHEMATHESIS_MAX_EXAMPLES ?? '50');
const randomSeed = process.env.SCHEMATHESIS_SEED ?? '20261206';
const adminKey = 'st-admin-key-0001';

/** Creates the venv once; reinstalls when requirements.txt changed. Returns the `st` executable. */
const ensureVenv = async (): Promise<string> => {
  const venv = join(cacheRoot(), 'schemathesis-venv');
  const st = join(venv, 'bin', 'st');
  const wanted = createHash('sha256').update(readFileSync(requirements)).digest('hex');
  const stamp = join(venv, 'requirements.sha256');
  if (existsSync(st) && existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) {
    progress(`schemathesis venv ready at ${venv}`);
    return st;
  }
  progress(`installing schemathesis into ${venv} (python3 -m venv; pip install -r requirements.txt)`);
  rmSync(venv, { recursive: true, force: true });
  mkdirSync(cacheRoot(), { recursive: true });
  const options = { cwd: here, timeoutMs: 600_000, label: 'pip', logFile: join(cacheRoot(), 'schemathesis-pip.log') };
  await runCommand('python3', ['-m', 'venv', venv], options);
  await runCommand(join(venv, 'bin', 'pip'), ['install', '--quiet', '-r', requirements], options);
  writeFileSync(stamp, wanted);
  return st;
};

interface Engine {
  readonly url: string;
  readonly stop: () => Promise<void>;
}

const startEngine = async (label: string, apiKeys: string | undefined): Promise<Engine> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'commerce-st-'));
  const started = Date.now();
  try {
    const engine = await startEngineProcess({
      name: 'engine',
      subcommand: 'serve',
      logDir: dataDir,
      env: {
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        // a fuzzed X-Min-Position far ahead would hold each read for the default 2 s
        READ_WAIT_MS: '20',
        API_KEYS: apiKeys ?? '',
      },
    });
    progress(`${label}: engine pid ${engine.pid} on ${engine.url} ready in ${seconds(Date.now() - started)}`);
    return {
      url: engine.url,
      stop: async () => {
        await engine.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
};

interface Seeded {
  /** a `next` cursor of each paged list, for schemathesis.toml */
  readonly cursors: Readonly<Record<string, string>>;
}

/** A couple of SKUs in stock and one order, so stateful links (create → read → act) reach real resources. */
const seedData = async (url: string, key: string | undefined): Promise<Seeded> => {
  const auth: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  const call = async (method: string, path: string, body: unknown): Promise<void> => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`seeding ${method} ${path}: ${response.status} ${await response.text()}`);
  };
  for (const [sku, name, amount] of [
    ['MUG-1', 'Mug', 1200],
    ['TEE-1', 'T-shirt', 2500],
  ] as const) {
    await call('PUT', `/v1/skus/${sku}`, { name, unitPrice: { amount, currency: 'EUR' } });
    await call('POST', `/v1/skus/${sku}/restock`, { quantity: 1000 });
  }
  for (const n of [1, 2]) {
    await call('POST', '/v1/orders', {
      orderId: `order-seed-${n}`,
      customerId: 'customer-seed-1',
      lines: [{ sku: 'MUG-1', quantity: 1 }],
      payment: { token: 'tok_approve' },
    });
  }
  for (const n of [1, 2]) {
    await call('PUT', `/v1/promotions/promotion-seed-${n}`, {
      name: `Seed ${n}`,
      currency: 'EUR',
      validFrom: '2026-01-01T00:00:00Z',
      priority: n,
      requiresCoupon: true,
      rule: { kind: 'PercentOff', basisPoints: 500 },
    });
    await call('PUT', `/v1/coupons/SEED-${n}`, {
      promotionId: `promotion-seed-${n}`,
      totalLimit: 100,
      perCustomerLimit: 1,
    });
  }
  // the read models catch up asynchronously: ask until a page of one has a next
  const nextOf = async (path: string): Promise<string> => {
    let next: unknown;
    await waitUntil(
      async () => {
        const response = await fetch(`${url}${path}`, { headers: auth });
        next = ((await response.json()) as { next?: unknown }).next;
        return typeof next === 'string';
      },
      { what: `seeding: a next cursor from ${path}`, timeoutMs: 20_000 },
    );
    return String(next);
  };
  return {
    cursors: {
      ST_ORDERS_CURSOR: await nextOf('/v1/orders?limit=1'),
      ST_SKUS_CURSOR: await nextOf('/v1/skus?limit=1'),
      ST_PROMOTIONS_CURSOR: await nextOf('/v1/promotions?limit=1'),
      ST_COUPONS_CURSOR: await nextOf('/v1/coupons?limit=1'),
    },
  };
};

/** One schemathesis run; resolves true when it found nothing. */
const fuzz = async (
  st: string,
  label: string,
  url: string,
  key: string | undefined,
  seeded: Seeded,
): Promise<boolean> => {
  const work = mkdtempSync(join(tmpdir(), 'commerce-st-run-'));
  const args = [
    '--config-file',
    configFile,
    'run',
    `${url}/v1/openapi.json`,
    '--checks',
    'all',
    '--max-examples',
    String(maxExamples),
    '--seed',
    randomSeed,
    // one worker: CPython 3.11's parser is not thread-safe under hypothesis' lambda introspection
    '--workers',
    '1',
    '--request-timeout',
    '10',
    '--no-color',
    ...(key ? ['-H', `Authorization: Bearer ${key}`] : []),
  ];
  progress(
    `${label}: st ${args
      .slice(2)
      .join(' ')
      .replace(key ?? '\0', '***')}`,
  );
  const started = Date.now();
  const code = await new Promise<number>((resolveCode) => {
    // cwd in a temp dir: hypothesis keeps its example database (.hypothesis/) there, not in the repository
    const child = spawn(st, args, {
      cwd: work,
      env: { ...process.env, ...seeded.cursors },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        process.stdout.write(`${unbanner(line)}\n`);
      });
    }
    // 'close', not 'exit': every line of its output has been passed on by then
    child.once('close', (exitCode) => {
      resolveCode(exitCode ?? 1);
    });
    child.once('error', () => {
      resolveCode(1);
    });
  });
  rmSync(work, { recursive: true, force: true });
  progress(
    `${label}: schemathesis ${code === 0 ? 'found nothing' : `exited ${code}`} in ${seconds(Date.now() - started)}`,
  );
  return code === 0;
};

/**
 * schemathesis closes with pytest's banner ("==== 1 warning in 18.09s ===="); a CI log reader takes such a line for
 * pytest's own summary, finds no test counted in it and judges the whole run as having run none. Reworded without
 * the banner, the line says the same and the plain closing line below stays the one that counts.
 */
const unbanner = (line: string): string => {
  const banner = /^=+ (.*?) =+$/.exec(line);
  return banner ? `schemathesis - ${(banner[1] ?? '').replace(/ in ([\d.]+s)$/, ', $1')}` : line;
};

const main = async (): Promise<number> => {
  const started = Date.now();
  const st = await ensureVenv();
  const results: { label: string; ok: boolean }[] = [];

  const open = await startEngine('open engine', undefined);
  try {
    const seeded = await seedData(open.url, undefined);
    results.push({ label: 'open engine, no key', ok: await fuzz(st, 'open engine', open.url, undefined, seeded) });
  } finally {
    await open.stop();
  }

  const keyed = await startEngine('engine with API_KEYS', `${adminKey}=admin;st-read-key-0001=read`);
  try {
    const seeded = await seedData(keyed.url, adminKey);
    results.push({ label: 'API_KEYS, admin key', ok: await fuzz(st, 'admin key', keyed.url, adminKey, seeded) });
    results.push({ label: 'API_KEYS, no key', ok: await fuzz(st, 'no key', keyed.url, undefined, seeded) });
  } finally {
    await keyed.stop();
  }

  for (const r of results) progress(`${r.ok ? 'ok    ' : 'FAILED'} ${r.label}`);
  const failed = results.filter((r) => !r.ok).length;
  progress(`schemathesis runs took ${seconds(Date.now() - started)}`);
  // the plain closing line a CI log reader counts
  console.log(`schemathesis: ${results.length - failed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
};

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    progress(`schemathesis run failed: ${errorMessage(error)}`);
    process.exitCode = 1;
  },
);
