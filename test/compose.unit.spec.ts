import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { cliSubcommands } from '../app/cli/subcommands';

const root = join(__dirname, '..');

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const cliEntry = ['node', 'dist/app/cli/main.js'] as const;

/** `['node', 'dist/app/cli/main.js', 'relay']` or `"node dist/app/cli/main.js relay"` → the words. */
const commandWords = (command: unknown): string[] | undefined => {
  if (typeof command === 'string') return command.trim().split(/\s+/);
  if (Array.isArray(command) && command.every((word): word is string => typeof word === 'string')) return command;
  return undefined;
};

/** The app's processes are the services whose command runs the engine's CLI. */
const isAppService = (service: Record<string, unknown>): boolean => {
  const words = commandWords(service.command);
  return words !== undefined && words[0] === cliEntry[0] && words[1] === cliEntry[1];
};

/** Engine processes that open no store (nor Kafka). */
const storeless: readonly string[] = ['payment-simulator'];

const dependsOnTargets = (service: Record<string, unknown>): string[] => {
  const dependsOn = service.depends_on;
  if (dependsOn === undefined) return [];
  if (Array.isArray(dependsOn)) return dependsOn.filter((name): name is string => typeof name === 'string');
  return isRecord(dependsOn) ? Object.keys(dependsOn) : [];
};

describe('the docker-compose.yml for users', () => {
  const compose: unknown = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true });
  const services = isRecord(compose) && isRecord(compose.services) ? compose.services : {};
  const entries = Object.entries(services).flatMap(([name, service]) => (isRecord(service) ? [{ name, service }] : []));
  const apps = entries.filter(({ service }) => isAppService(service));

  it('declares EventStoreDB, Kafka in KRaft mode and MongoDB', () => {
    const images = entries.map(({ service }) => String(service.image));
    expect(images.some((image) => image.includes('eventstore') || image.includes('kurrent'))).to.equal(true);
    expect(images).to.include('apache/kafka:3.9.1');
    expect(images).to.include('mongo:7');
    const kafka = entries.find(({ service }) => service.image === 'apache/kafka:3.9.1')?.service;
    const env = isRecord(kafka?.environment) ? kafka.environment : {};
    expect(env.KAFKA_PROCESS_ROLES).to.equal('broker,controller');
  });

  it('runs the distributed processes on PostgreSQL and Kafka by default, EventStoreDB and MongoDB by profile', () => {
    const byName = new Map(entries.map(({ name, service }) => [name, service]));
    const profilesOf = (name: string): unknown => byName.get(name)?.profiles;
    expect(profilesOf('postgres'), 'postgres runs by default').to.equal(undefined);
    expect(profilesOf('kafka'), 'kafka runs by default').to.equal(undefined);
    expect(profilesOf('eventstore')).to.deep.equal(['eventstoredb']);
    expect(profilesOf('mongodb')).to.deep.equal(['mongodb']);
    for (const { name, service } of apps.filter(({ service }) => service.profiles === undefined)) {
      const env = isRecord(service.environment) ? service.environment : {};
      expect(env, name).to.include({ EVENT_STORE: '${EVENT_STORE:-postgres}', READ_STORE: '${READ_STORE:-postgres}' });
      expect(env, name).to.include({ BUS: 'kafka' });
      expect(String(env.POSTGRES_URL), name).to.match(/^postgresql:\/\/[^@]+@postgres:5432\//);
      // the payment simulator opens no store, so it need not wait for one
      if (storeless.includes(name)) continue;
      expect(dependsOnTargets(service), `${name} waits for its stores`).to.include.members(['postgres']);
    }
  });

  it('offers the embedded engine (serve) on PostgreSQL by profile', () => {
    const engine = apps.find(({ service }) => Array.isArray(service.profiles) && service.profiles.includes('serve'));
    const env = isRecord(engine?.service.environment) ? engine.service.environment : {};
    expect(env).to.include({ EVENT_STORE: 'postgres', READ_STORE: 'postgres', BUS: 'embedded' });
    expect(dependsOnTargets(engine?.service ?? {})).to.include('postgres');
  });

  it('gives every service a healthcheck, the engine’s processes included (each serves /readyz)', () => {
    const unchecked = entries.filter(({ service }) => !isRecord(service.healthcheck)).map(({ name }) => name);
    expect(unchecked).to.deep.equal([]);
  });

  it('only depends on services that exist, and waits for them to be healthy', () => {
    const names = new Set(Object.keys(services));
    const problems: string[] = [];
    for (const { name, service } of entries) {
      for (const target of dependsOnTargets(service)) {
        if (!names.has(target)) problems.push(`${name} depends on unknown service ${target}`);
        const dependsOn = service.depends_on;
        const condition = isRecord(dependsOn) && isRecord(dependsOn[target]) ? dependsOn[target].condition : undefined;
        if (condition !== 'service_healthy') problems.push(`${name} → ${target}: condition is not service_healthy`);
      }
    }
    expect(problems).to.deep.equal([]);
  });

  it('runs every engine process as `node dist/app/cli/main.js <subcommand>` with a known subcommand', () => {
    expect(apps.map(({ name }) => name)).to.include.members([
      'command-api',
      'relay',
      'projector',
      'saga-runner',
      'read-api',
    ]);
    const known: readonly string[] = cliSubcommands;
    for (const { name, service } of apps) {
      const words = commandWords(service.command) ?? [];
      expect(words, `${name}: command`).to.have.length(3);
      expect(known, `${name}: subcommand "${words[2] ?? ''}"`).to.include(words[2]);
    }
  });

  it('builds the image once, and every other process runs that image', () => {
    const builders = apps.filter(({ service }) => service.build !== undefined).map(({ name }) => name);
    expect(builders).to.deep.equal(['command-api']);
    const image = entries.find(({ name }) => name === 'command-api')?.service.image;
    for (const { name, service } of apps) {
      expect(service.image, `${name}: image`).to.equal(image);
      if (service.build === undefined) expect(service.pull_policy, `${name}: pull_policy`).to.equal('never');
    }
  });

  it('says which processes may be scaled: one active relay, one payment simulator, the others as many as wanted', () => {
    const scale = Object.fromEntries(
      apps.map(({ name, service }) => [
        name,
        isRecord(service.labels) ? service.labels['com.commerce-engine.scale'] : undefined,
      ]),
    );
    expect(scale).to.include({
      'command-api': 'many',
      projector: 'many',
      'read-api': 'many',
      relay: 'one-active',
      'saga-runner': 'many',
      'payment-simulator': 'one',
    });
    expect(Object.values(scale).every((value) => ['one', 'one-active', 'many'].includes(String(value)))).to.equal(true);
  });

  it('keeps the saga runner’s state on a named volume, which `docker compose down` keeps', () => {
    const runner = entries.find(({ name }) => name === 'saga-runner')?.service ?? {};
    const mounts = Array.isArray(runner.volumes) ? runner.volumes.map(String) : [];
    const named = isRecord(compose) && isRecord(compose.volumes) ? Object.keys(compose.volumes) : [];
    expect(mounts.some((mount) => named.includes(mount.split(':')[0] ?? '') && mount.endsWith(':/data'))).to.equal(
      true,
    );
  });

  it('gives the saga runners one shared payment provider: the simulator, with its own key, waited for', () => {
    const byName = new Map(entries.map(({ name, service }) => [name, service]));
    const simulator = byName.get('payment-simulator') ?? {};
    const runner = byName.get('saga-runner') ?? {};
    expect(commandWords(simulator.command)?.[2]).to.equal('payment-simulator');
    expect(dependsOnTargets(simulator), 'opens no store').to.deep.equal([]);
    const simulatorEnv = isRecord(simulator.environment) ? simulator.environment : {};
    const runnerEnv = isRecord(runner.environment) ? runner.environment : {};
    expect(runnerEnv.PAYMENT_PROVIDER_URL).to.equal(`http://payment-simulator:${String(simulatorEnv.PORT)}`);
    expect(dependsOnTargets(runner)).to.include('payment-simulator');
    // the runner presents the key the simulator accepts (compose's `${NAME:-default}`, the same on both sides)
    const key = String(runnerEnv.PAYMENT_PROVIDER_KEY);
    expect(key).to.match(/^\$\{PAYMENT_PROVIDER_KEY:-.{8,}\}$/);
    expect(simulatorEnv.API_KEYS).to.equal(`${key}=admin`);
  });

  it('makes every process wait for what it opens: the relay and the read API for Kafka and the stores', () => {
    for (const name of ['relay', 'projector', 'saga-runner', 'read-api']) {
      const service = entries.find((entry) => entry.name === name)?.service ?? {};
      expect(dependsOnTargets(service), name).to.include.members(['postgres', 'kafka']);
    }
  });
});

describe('the Dockerfile', () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const pkg: unknown = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const scripts = isRecord(pkg) && isRecord(pkg.scripts) ? Object.keys(pkg.scripts) : [];

  it('installs with npm ci from the lock file', () => {
    expect(dockerfile).to.match(/^FROM node:20-slim/m);
    expect(dockerfile).to.match(/COPY package\.json package-lock\.json/);
    expect(dockerfile).to.match(/RUN npm ci\b/);
  });

  it('builds only with npm scripts that exist in package.json', () => {
    const used = [...dockerfile.matchAll(/npm run ([\w:-]+)/g)].map((match) => match[1] ?? '');
    expect(used).to.include('build');
    expect(used.filter((script) => !scripts.includes(script))).to.deep.equal([]);
  });

  it('starts the all-in-one engine by default', () => {
    const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
    const words: unknown = JSON.parse(cmd ?? '[]');
    expect(words).to.deep.equal([...cliEntry, 'serve']);
    expect(cliSubcommands).to.include('serve');
  });
});
