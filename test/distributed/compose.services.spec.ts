import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { startEngineProcess, type EngineProcess } from '../../tools/services/engine-process';
import { postgresSchemas } from '../postgres-schemas';
import { removeTestDir, trackFailures } from './cluster-kit';

/**
 * docker-compose.yml is what users run; no Docker engine runs here. So the default profile's engine processes are
 * read from the file — command, environment (compose's `${NAME:-default}` interpolation with nothing set) and order —
 * and started as plain processes against the PostgreSQL and Kafka that `npm run test:services` started. Only what a
 * container network changes is mapped: the service names `postgres` and `kafka` to the local servers (asserted to be
 * what the file points at), `/data` volumes to directories, PORT/HOST to a free local port. A typo in the file's
 * commands, variables or keys fails here.
 */

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this suite through npm run test:services`);
  return value;
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

interface ComposeProcess {
  readonly name: string;
  readonly subcommand: string;
  readonly env: Readonly<Record<string, string>>;
  readonly dependsOn: readonly string[];
  readonly volumes: readonly string[];
}

/** compose's interpolation with an empty environment: `${NAME:-default}` → default, `${NAME}` → '' */
const interpolate = (value: string): string =>
  value.replace(/\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}/g, (_match, _name: string, fallback?: string) => fallback ?? '');

const composeProcesses = (): ComposeProcess[] => {
  const compose: unknown = parse(readFileSync(join(__dirname, '..', '..', 'docker-compose.yml'), 'utf8'), {
    merge: true,
  });
  const services = isRecord(compose) && isRecord(compose.services) ? compose.services : {};
  const out: ComposeProcess[] = [];
  for (const [name, service] of Object.entries(services)) {
    if (!isRecord(service) || service.profiles !== undefined || !Array.isArray(service.command)) continue;
    const words = service.command.map(String);
    if (words[0] !== 'node' || words[1] !== 'dist/app/cli/main.js') continue;
    expect(words, `${name}: command`).to.have.length(3);
    const environment = isRecord(service.environment) ? service.environment : {};
    out.push({
      name,
      subcommand: words[2] ?? '',
      env: Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, interpolate(String(value))])),
      dependsOn: isRecord(service.depends_on) ? Object.keys(service.depends_on) : [],
      volumes: Array.isArray(service.volumes) ? service.volumes.map(String) : [],
    });
  }
  return out;
};

describe('docker-compose.yml, run here as plain processes on the local PostgreSQL and Kafka', function () {
  const failures = trackFailures();
  this.timeout(240_000);
  const schemas = postgresSchemas('compose');
  const run = `c${Date.now().toString(36)}`;
  let dir: string;
  const started: EngineProcess[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'commerce-compose-'));
  });
  after(async () => {
    for (const p of started.reverse()) await p.stop(5_000).catch(() => undefined);
    removeTestDir(dir, failures);
  });

  it('starts every default process from the file and carries orders from the command API to the read API', async () => {
    const processes = composeProcesses();
    expect(processes.map((p) => p.name)).to.have.members([
      'command-api',
      'relay',
      'projector',
      'payment-simulator',
      'saga-runner',
      'read-api',
    ]);
    const [eventSchema, readSchema] = [schemas.next(), schemas.next()];
    const apiKey = (processes[0]?.env.API_KEYS ?? '').split(';')[0]?.split('=')[0] ?? '';
    expect(apiKey, 'the file gives a development key').to.not.equal('');

    const byName = new Map<string, EngineProcess>();
    const startedUrl = (name: string, url: string): string => {
      const target = byName.get(new URL(url).hostname);
      if (target === undefined) throw new Error(`${name}: ${url} names no process started before it`);
      return target.url;
    };
    for (const p of processes) {
      // what the container network and volumes change, and nothing else
      expect(p.env.POSTGRES_URL, `${p.name}: POSTGRES_URL`).to.match(/@postgres:5432\//);
      expect(p.env.KAFKA_BROKERS, `${p.name}: KAFKA_BROKERS`).to.equal('kafka:9092');
      expect(p.env, p.name).to.include({ EVENT_STORE: 'postgres', READ_STORE: 'postgres', BUS: 'kafka' });
      const dataDir = join(dir, p.name);
      mkdirSync(dataDir, { recursive: true });
      for (const volume of p.volumes) expect(volume, `${p.name}: volume`).to.match(/:\/data$/);
      const env = {
        ...p.env,
        POSTGRES_URL: schemas.url,
        POSTGRES_EVENT_SCHEMA: eventSchema,
        POSTGRES_READ_SCHEMA: readSchema,
        KAFKA_BROKERS: required('KAFKA_BROKERS'),
        KAFKA_TOPIC_PREFIX: `${run}.`,
        DATA_DIR: dataDir,
        // the payment provider is another process of the file: its service name becomes its local address
        ...(p.env.PAYMENT_PROVIDER_URL === undefined
          ? {}
          : { PAYMENT_PROVIDER_URL: startedUrl(p.name, p.env.PAYMENT_PROVIDER_URL) }),
      };
      for (const dependency of p.dependsOn) {
        if (byName.has(dependency)) continue;
        expect(['postgres', 'kafka', 'eventstore', 'mongodb'], `${p.name} depends on ${dependency}`).to.include(
          dependency,
        );
      }
      const engine = await startEngineProcess({ name: p.name, subcommand: p.subcommand, env, logDir: dir });
      started.push(engine);
      byName.set(p.name, engine);
    }

    const commandApi = byName.get('command-api');
    const readApi = byName.get('read-api');
    const sagaRunner = byName.get('saga-runner');
    if (commandApi === undefined || readApi === undefined || sagaRunner === undefined) throw new Error('missing');
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` };
    const call = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
      const r = await fetch(`${commandApi.url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const json = (await r.json()) as Record<string, unknown>;
      if (!r.ok) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(json)}`);
      return json;
    };
    await call('PUT', '/v1/skus/MUG-1', { name: 'Mug', unitPrice: { amount: 1250, currency: 'EUR' } });
    await call('POST', '/v1/skus/MUG-1/restock', { quantity: 100 });
    const ids = Array.from({ length: 20 }, (_, i) => `${run}-o-${i}`);
    for (const orderId of ids) {
      await call('POST', '/v1/orders', {
        orderId,
        customerId: 'c-compose',
        lines: [{ sku: 'MUG-1', quantity: 1 }],
        payment: { token: 'tok_approve' },
      });
    }

    // every order goes through the saga runner (Kafka) to Confirmed, and the projector makes it visible
    const deadline = Date.now() + 60_000;
    let confirmed = 0;
    while (Date.now() < deadline) {
      const r = await fetch(`${readApi.url}/v1/orders?customerId=c-compose&status=Confirmed&limit=100`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      expect(r.status).to.equal(200);
      confirmed = ((await r.json()) as { items: unknown[] }).items.length;
      if (confirmed === ids.length) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(confirmed, 'orders confirmed and visible in the read API').to.equal(ids.length);
    for (const p of started) {
      const health = await fetch(`${p.url}/readyz`);
      expect(health.status, `${p.name} /readyz (the file's healthcheck)`).to.equal(200);
    }
  });
});
