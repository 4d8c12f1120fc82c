import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { kafkaFromEnv, mongoClient, withTimeout } from '../tools/services/clients';
import { startServices, stopServices } from '../tools/services/harness';
import { e2eRows, runE2e, type E2eResult } from './lib/e2e';
import { runStep, setupCatalogue } from './lib/load';
import { HttpJsonClient } from './http-client';
import { runTakeovers, type TakeoverResult } from './lib/takeover';
import { cpuSeconds, startEngine, type EngineProcess } from './lib/engine';
import { processTree } from '../tools/services/proc';
import { benchKafka, medianThroughput, type KafkaThroughput } from './lib/kafka-throughput';
import {
  benchPgAppends,
  benchPgSubscriptionLag,
  pgAppendRows,
  pgLagRows,
  type PgAppendFigures,
  type PgSubscriptionLag,
} from './lib/pg-appends';
import { benchPgRebuild, pgRebuildRows, type PgRebuildOutcome } from './lib/pg-rebuild';
import { rebuildRows, runRebuildBench, type RebuildOutcome } from './lib/rebuild-hook';
import { mongoReadStoreAt } from './rebuild';

import { errorText, int, markdownTable, median, progress, ratio, row, writeResults, type TableRow } from './lib/report';

/**
 * `npm run bench:services`: the distributed engine on real servers (Kafka 3.9.1, FerretDB 1.24.2 from the project's
 * harness; started if not running, and stopped again if this run started them). Command API, relay, projector, read
 * API and saga runner as separate OS processes on PostgreSQL (events and read models) and Kafka, as
 * docker-compose.yml runs them (`--e2e-stores ferretdb`: SQLite events and FerretDB read models); the relay +
 * consumer throughput next to raw kafkajs. `--e2e-only`: the distributed end to end alone. `--e2e-replicas 1,2`: one
 * end to end per count of projectors and saga runners (more than one share a payment simulator), with the scale-out
 * factor between them and CPU per order by process kind. `--takeover` (`--takeover-only` alone, `--takeover-rounds N`):
 * two of each process kind under a probe load, one SIGKILLed in turn, the stall until the probes complete.
 * `--cpu-at 40` (`--cpu-seconds 30`, `--idle-seconds 20`): one of each, idle and then at that fixed rate, CPU per second
 * and per order by process kind and server, alone: the figure to compare before and after a change.
 *
 *   npx tsx bench/services.ts [--quick] [--skip-e2e] [--skip-rebuild] [--kafka-only] [--kafka-events N] [--kafka-runs N]
 *                             [--rebuild-events N] [--steps 50,100,…]
 *
 * `--pg-appends-only`: appends/s through the PostgreSQL event store next to raw `pg` inserts, and a subscriber's lag
 * under 20,000 appended events/s, alone
 * (`--skip-pg-appends` leaves them out).
 * `--kafka-only`: the relay + consumer throughput alone (no e2e); `--kafka-runs N`: repeat it N times and report
 * each figure's median (every run's figures are in the results file). The rebuild builds a SQLite event store of
 * `--rebuild-events` (default 1,000,000; 100,000 with --quick) and rebuilds every projection into FerretDB.
 * The same number of events is appended to the PostgreSQL event store and every projection rebuilt from it into the
 * PostgreSQL read store, next to raw `pg` reads and writes (`--pg-rebuild-only` alone, `--skip-pg-rebuild` without).
 */
const args = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'skip-e2e': { type: 'boolean', default: false },
    'kafka-only': { type: 'boolean', default: false },
    'pg-appends-only': { type: 'boolean', default: false },
    'skip-pg-appends': { type: 'boolean', default: false },
    'skip-rebuild': { type: 'boolean', default: false },
    'pg-rebuild-only': { type: 'boolean', default: false },
    'skip-pg-rebuild': { type: 'boolean', default: false },
    'rebuild-events': { type: 'string' },
    'kafka-events': { type: 'string' },
    'kafka-runs': { type: 'string' },
    steps: { type: 'string' },
    'e2e-stores': { type: 'string', default: 'postgres' },
    'e2e-only': { type: 'boolean', default: false },
    'e2e-replicas': { type: 'string', default: '1' },
    takeover: { type: 'boolean', default: false },
    'takeover-only': { type: 'boolean', default: false },
    'takeover-rounds': { type: 'string' },
    'cpu-at': { type: 'string' },
    'cpu-seconds': { type: 'string', default: '30' },
    'idle-seconds': { type: 'string', default: '20' },
  },
}).values;
if (args['e2e-stores'] !== 'postgres' && args['e2e-stores'] !== 'ferretdb') {
  throw new Error(`--e2e-stores takes postgres or ferretdb, not ${args['e2e-stores']}`);
}
const quick = args.quick;
const kafkaEvents = Number(args['kafka-events'] ?? (quick ? 20_000 : 100_000));
const kafkaRuns = Number(args['kafka-runs'] ?? 1);
if (!Number.isSafeInteger(kafkaRuns) || kafkaRuns < 1) throw new RangeError(`invalid --kafka-runs ${kafkaRuns}`);
const pgAppendsOnly = args['pg-appends-only'];
const pgRebuildOnly = args['pg-rebuild-only'];
const takeoverOnly = args['takeover-only'];
const takeover = args.takeover || takeoverOnly;
const takeoverRounds = Number(args['takeover-rounds'] ?? (quick ? 2 : 3));
// `--cpu-at 40`: one of each, idle then at this fixed rate, CPU per process kind; nothing else runs
const cpuAt = args['cpu-at'] === undefined ? undefined : Number(args['cpu-at']);
const cpuStepSeconds = Number(args['cpu-seconds']);
const idleSeconds = Number(args['idle-seconds']);
if (cpuAt !== undefined && (!(cpuAt > 0) || !(cpuStepSeconds >= 5) || !(idleSeconds >= 1))) {
  throw new RangeError('--cpu-at takes a rate above 0, --cpu-seconds at least 5, --idle-seconds at least 1');
}
const cpuOnly = cpuAt !== undefined;
const skipE2e = args['skip-e2e'] || args['kafka-only'] || pgAppendsOnly || pgRebuildOnly || takeoverOnly || cpuOnly;
const e2eOnly = args['e2e-only'];
const skipRebuild =
  args['skip-rebuild'] || args['kafka-only'] || pgAppendsOnly || pgRebuildOnly || e2eOnly || takeoverOnly || cpuOnly;
const skipKafka = pgAppendsOnly || pgRebuildOnly || e2eOnly || takeoverOnly || cpuOnly;
const skipPgAppends =
  args['skip-pg-appends'] || args['kafka-only'] || pgRebuildOnly || e2eOnly || takeoverOnly || cpuOnly;
const skipPgRebuild =
  args['skip-pg-rebuild'] || args['kafka-only'] || pgAppendsOnly || e2eOnly || takeoverOnly || cpuOnly;
const rebuildEvents = Number(args['rebuild-events'] ?? (quick ? 100_000 : 1_000_000));
if (!Number.isSafeInteger(rebuildEvents) || rebuildEvents < 1_000) {
  throw new RangeError(`invalid --rebuild-events ${rebuildEvents}`);
}
// projectors and saga runners per distributed e2e run, e.g. `1,2`: one run each, and the scale-out factor between them
const replicaCounts = args['e2e-replicas'].split(',').map(Number);
if (replicaCounts.some((n) => !Number.isSafeInteger(n) || n < 1 || n > 4)) {
  throw new RangeError(`--e2e-replicas takes counts from 1 to 4, e.g. 1,2; got ${args['e2e-replicas']}`);
}
// five engine processes, a JVM and FerretDB share 2 cores: the ladder starts low
const steps = (args.steps ?? '50,100,250,500,1000,2000').split(',').map(Number);

export const SERVICE_GOALS = {
  relayPlusConsumePerSecond: 50_000,
  /** relay + consume ÷ raw kafkajs doing the same work in the same run (issue 17) */
  relayPlusConsumeShareOfRaw: 0.9,
  rebuildIntoFerretDbPerSecond: 20_000,
  rebuildOnPostgresPerSecond: 20_000,
} as const;

const kafkaRows = (k: KafkaThroughput, runs: number): TableRow[] => {
  const raw = 1 / (1 / k.rawProducePerSecond + 1 / k.rawConsumePerSecond);
  return [
    row(
      `raw kafkajs produce, ${int(k.events)} events, batch ${k.batchSize}, acks=all` +
        (runs > 1 ? ` (each figure: median of ${runs} runs)` : ''),
      `${int(k.rawProducePerSecond)} events/s`,
    ),
    row('raw kafkajs consume (+ JSON.parse), incl. group join', `${int(k.rawConsumePerSecond)} events/s`),
    row('relay (store → Kafka, checkpointed)', `${int(k.relayPerSecond)} events/s`, {
      baseline: `${int(k.rawProducePerSecond)} (raw produce)`,
      ratio: ratio(k.relayPerSecond, k.rawProducePerSecond),
    }),
    row('KafkaBus consumer, incl. group join', `${int(k.consumePerSecond)} events/s`, {
      baseline: `${int(k.rawConsumePerSecond)} (raw consume)`,
      ratio: ratio(k.consumePerSecond, k.rawConsumePerSecond),
    }),
    row('relay + consume, end to end', `${int(k.relayPlusConsumePerSecond)} events/s`, {
      baseline: `${int(raw)} (raw, same sum)`,
      ratio: ratio(k.relayPlusConsumePerSecond, raw),
      goal: `≥ ${int(SERVICE_GOALS.relayPlusConsumePerSecond)} events/s`,
      met: k.relayPlusConsumePerSecond >= SERVICE_GOALS.relayPlusConsumePerSecond,
    }),
    row('relay + consume ÷ raw kafkajs doing the same work (same run)', ratio(k.relayPlusConsumePerSecond, raw), {
      goal: `≥ ${Math.round(SERVICE_GOALS.relayPlusConsumeShareOfRaw * 100)} %`,
      met: k.relayPlusConsumePerSecond >= SERVICE_GOALS.relayPlusConsumeShareOfRaw * raw,
    }),
  ];
};

/**
 * Where the distributed processes keep events and read models: PostgreSQL for both (what docker-compose.yml runs), or
 * the SQLite event store with FerretDB as the read store (`--e2e-stores ferretdb`, the earlier figures).
 */
type E2eStores =
  { readonly kind: 'postgres'; readonly url: string } | { readonly kind: 'ferretdb'; readonly url: string };

interface DistributedE2e {
  readonly replicas: number;
  readonly result: E2eResult;
  readonly rss: [string, number][];
  /** CPU ms per accepted order, by process kind (replicas summed) */
  readonly cpuMsPerOrder: Record<string, number>;
  /** saga steps decided again because the saga stream moved on (all saga runners), per accepted order */
  readonly sagaConflictsPerOrder: number;
}

/** The sum of a counter's samples in a Prometheus text exposition (0 when absent). */
const counterTotal = (exposition: string, name: string): number =>
  exposition
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);

const sagaConflicts = async (runners: readonly EngineProcess[]): Promise<number> => {
  let total = 0;
  for (const runner of runners) {
    const response = await fetch(`${runner.url}/metrics`);
    total += counterTotal(await response.text(), 'saga_step_conflicts_total');
  }
  return total;
};

/** One distributed engine for a bench run: its processes, and how to stop them and drop the run's data. */
interface DistributedRun {
  readonly processes: readonly EngineProcess[];
  readonly commandApi: EngineProcess;
  readonly readApi: EngineProcess;
  readonly sagaRunners: readonly EngineProcess[];
  /** CPU seconds of the servers' process trees so far, by server */
  readonly serverCpu: () => Record<string, number>;
  /** stops every process (after printing their logs' tails when `failed`), drops the schemas and topics */
  readonly finish: (failed?: boolean) => Promise<void>;
}

/**
 * Starts the distributed engine with `replicas` projectors and saga runners (more than one: sharing a payment
 * simulator, as compose runs them), everything else once, on a schema and topic prefix of its own.
 */
const startDistributed = async (
  kafkaBrokers: string,
  stores: E2eStores,
  replicas: number,
  /** the servers' processes, whose CPU is reported beside the engine's */
  servers: Readonly<Record<string, number>>,
): Promise<DistributedRun> => {
  const dir = mkdtempSync(join(tmpdir(), 'commerce-bench-services-'));
  const run = `bench${Date.now().toString(36)}`;
  const storeEnv: Readonly<Record<string, string>> =
    stores.kind === 'postgres'
      ? {
          EVENT_STORE: 'postgres',
          READ_STORE: 'postgres',
          POSTGRES_URL: stores.url,
          POSTGRES_EVENT_SCHEMA: `${run}_events`,
          POSTGRES_READ_SCHEMA: `${run}_reads`,
        }
      : {
          SQLITE_PATH: join(dir, 'events.db'),
          READ_STORE: 'mongodb',
          MONGODB_URL: stores.url,
          MONGODB_DATABASE: run,
        };
  const env: Record<string, string> = {
    ...storeEnv,
    BUS: 'kafka',
    KAFKA_BROKERS: kafkaBrokers,
    KAFKA_TOPIC_PREFIX: `${run}.`,
  };
  const processes: EngineProcess[] = [];
  const finish = async (failed = false): Promise<void> => {
    if (failed) for (const p of processes) progress(`${p.name} log tail:\n${p.tail(10)}`);
    for (const p of [...processes].reverse()) await p.stop().catch(() => undefined);
    await dropBenchData(stores, run);
    await dropBenchTopics(kafkaBrokers, run);
    rmSync(dir, { recursive: true, force: true });
  };
  const start = async (subcommand: string, name = subcommand): Promise<EngineProcess> => {
    progress(`services e2e: starting ${name}`);
    const p = await startEngine({
      name,
      subcommand,
      env: { ...env, DATA_DIR: join(dir, name) },
      logDir: dir,
      readyTimeoutMs: 90_000,
    });
    processes.push(p);
    return p;
  };
  try {
    if (replicas > 1) env.PAYMENT_PROVIDER_URL = (await start('payment-simulator')).url;
    const commandApi = await start('command-api');
    await start('relay');
    for (let i = 1; i <= replicas; i++) await start('projector', replicas > 1 ? `projector-${i}` : 'projector');
    for (let i = 1; i <= replicas; i++) await start('saga-runner', replicas > 1 ? `saga-runner-${i}` : 'saga-runner');
    const readApi = await start('read-api');
    const serverCpu = (): Record<string, number> =>
      Object.fromEntries(
        Object.entries(servers).map(([name, pid]) => [
          name,
          processTree(pid).reduce((total, each) => total + cpuSeconds(each), 0),
        ]),
      );
    return {
      processes,
      commandApi,
      readApi,
      sagaRunners: processes.filter((p) => p.name.startsWith('saga-runner')),
      serverCpu,
      finish,
    };
  } catch (error) {
    await finish(true);
    throw error;
  }
};

/** CPU used since `before` per process kind (replicas summed) and per server, each divided by `per`. */
const cpuSince = (
  engine: DistributedRun,
  before: { readonly processes: readonly number[]; readonly servers: Readonly<Record<string, number>> },
  per: number,
): Record<string, number> => {
  const used: Record<string, number> = {};
  engine.processes.forEach((p, i) => {
    const kind = p.name.replace(/-\d+$/, '');
    used[kind] = (used[kind] ?? 0) + ((p.cpuSeconds() - (before.processes[i] ?? 0)) * 1000) / per;
  });
  for (const [name, seconds] of Object.entries(engine.serverCpu())) {
    used[name] = ((seconds - (before.servers[name] ?? 0)) * 1000) / per;
  }
  return used;
};

const cpuNow = (engine: DistributedRun) => ({
  processes: engine.processes.map((p) => p.cpuSeconds()),
  servers: engine.serverCpu(),
});

/** The distributed end to end (`runE2e`'s ladder) with `replicas` projectors and saga runners. */
const distributedE2e = async (
  kafkaBrokers: string,
  stores: E2eStores,
  replicas: number,
  servers: Readonly<Record<string, number>>,
): Promise<DistributedE2e> => {
  const engine = await startDistributed(kafkaBrokers, stores, replicas, servers);
  let failed = false;
  try {
    let conflictsAtStart = await sagaConflicts(engine.sagaRunners);
    let cpuMsPerOrder: Record<string, number> = {};
    let sagaConflictsPerOrder = Number.NaN;
    let atStart = cpuNow(engine);
    const result = await runE2e(
      { commandUrl: engine.commandApi.url, readUrl: engine.readApi.url },
      {
        steps,
        stepSeconds: quick ? 10 : 30,
        budgetSeconds: quick ? 90 : 240,
        p99Rate: 1_000,
        hotOrders: 2_000,
        hotStock: 100,
        hotInFlight: 200,
        // no latency goal here, and a 1,000/s burst would bury the hot SKU under its backlog
        p99Step: false,
        hotSettleTimeoutS: 240,
        onCountedOrders: async () => {
          atStart = cpuNow(engine);
          conflictsAtStart = await sagaConflicts(engine.sagaRunners);
        },
        // the ladder's orders only: the hot SKU's, mostly refused as sold out, cost a fraction of an order each
        onCountedOrdersDone: async (orders) => {
          cpuMsPerOrder = cpuSince(engine, atStart, orders);
          sagaConflictsPerOrder = ((await sagaConflicts(engine.sagaRunners)) - conflictsAtStart) / orders;
        },
      },
    );
    return {
      replicas,
      result,
      rss: engine.processes.map((p) => [p.name, p.peakRssMiB()]),
      cpuMsPerOrder,
      sagaConflictsPerOrder,
    };
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    await engine.finish(failed);
  }
};

interface DistributedCpu {
  readonly idleSeconds: number;
  /** CPU ms per second of each process kind and server while no order comes in */
  readonly idleMsPerSecond: Record<string, number>;
  readonly rate: number;
  readonly seconds: number;
  readonly accepted: number;
  /** orders finished per second during the step */
  readonly finishedPerSecond: number;
  /** CPU ms per accepted order, over the step and its drain */
  readonly cpuMsPerOrder: Record<string, number>;
  /** then reads: `GET /v1/orders/{id}` of those orders, 32 at a time for `READ_SECONDS` */
  readonly reads: { readonly perSecond: number; readonly cpuMsPerRead: Record<string, number> };
}

const READ_SECONDS = 10;

/** Reads orders by id, `connections` at a time for `seconds` (closed loop): how many were answered. */
const readOrders = async (readUrl: string, ids: readonly string[], seconds: number, connections = 32) => {
  const client = new HttpJsonClient(readUrl, {}, connections);
  let answered = 0;
  const stopAt = performance.now() + seconds * 1_000;
  try {
    await Promise.all(
      Array.from({ length: connections }, async (_, c) => {
        for (let i = c; performance.now() < stopAt; i += connections) {
          const r = await client.send('GET', `/v1/orders/${ids[i % ids.length] ?? ''}`);
          if (r.status !== 200) throw new Error(`GET /v1/orders/… → ${r.status} ${JSON.stringify(r.body)}`);
          answered += 1;
        }
      }),
    );
  } finally {
    client.close();
  }
  return answered;
};

/**
 * CPU of one of each kind, idle and at a fixed rate: the figure to compare before and after a change (a fixed rate
 * makes every run do the same work; the ladder's held rate moves with the box's noise).
 */
const distributedCpu = async (
  kafkaBrokers: string,
  stores: E2eStores,
  servers: Readonly<Record<string, number>>,
  o: { readonly idleSeconds: number; readonly rate: number; readonly seconds: number },
): Promise<DistributedCpu> => {
  const engine = await startDistributed(kafkaBrokers, stores, 1, servers);
  let failed = false;
  try {
    const target = { commandUrl: engine.commandApi.url, readUrl: engine.readApi.url };
    progress(`cpu: ${o.idleSeconds} s idle`);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const idleFrom = cpuNow(engine);
    await new Promise((resolve) => setTimeout(resolve, o.idleSeconds * 1_000));
    const idleMsPerSecond = cpuSince(engine, idleFrom, o.idleSeconds);
    const catalogue = await setupCatalogue(target, `cpu${Date.now().toString(36)}`);
    progress('cpu: warm-up 5 s at 30 orders/s');
    await runStep(target, catalogue, { rate: 30, durationS: 5, label: 'warm-up', drainTimeoutS: 60 });
    const stepFrom = cpuNow(engine);
    const step = await runStep(target, catalogue, {
      rate: o.rate,
      durationS: o.seconds,
      label: `${o.rate}/s`,
      drainTimeoutS: 60,
    });
    const cpuMsPerOrder = cpuSince(engine, stepFrom, Math.max(1, step.accepted));
    progress(`cpu: reads, GET /v1/orders/{id} closed loop (32 connections) for ${READ_SECONDS} s`);
    const readsFrom = cpuNow(engine);
    const started = performance.now();
    const answered = await readOrders(engine.readApi.url, step.acceptedIds, READ_SECONDS);
    const reads = {
      perSecond: (answered * 1_000) / (performance.now() - started),
      cpuMsPerRead: cpuSince(engine, readsFrom, Math.max(1, answered)),
    };
    return {
      idleSeconds: o.idleSeconds,
      idleMsPerSecond,
      rate: o.rate,
      seconds: o.seconds,
      accepted: step.accepted,
      finishedPerSecond: step.completionRate,
      cpuMsPerOrder,
      reads,
    };
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    await engine.finish(failed);
  }
};

const figures = (byKind: Record<string, number>, unit: string): string =>
  Object.entries(byKind)
    .map(([kind, value]) => `${kind} ${value.toFixed(1)} ${unit}`)
    .join(', ') +
  `; all ${Object.values(byKind)
    .reduce((a, b) => a + b, 0)
    .toFixed(1)} ${unit}`;

const cpuRows = (c: DistributedCpu): TableRow[] => [
  row(`idle for ${c.idleSeconds} s, CPU by process kind and server`, figures(c.idleMsPerSecond, 'ms/s')),
  row(
    `${c.rate} orders/s for ${c.seconds} s (${int(c.accepted)} accepted, ${c.finishedPerSecond.toFixed(1)}/s finished): CPU per order`,
    figures(c.cpuMsPerOrder, 'ms'),
  ),
  row(
    `then GET /v1/orders/{id}, 32 connections for ${READ_SECONDS} s (${int(c.reads.perSecond)} reads/s): CPU per read`,
    figures(c.reads.cpuMsPerRead, 'ms'),
  ),
];

const distributedRows = (e: DistributedE2e): TableRow[] => [
  row(
    `distributed e2e with ${e.replicas} projector(s) and ${e.replicas} saga runner(s)`,
    e.result.highestHeld === undefined ? 'none held' : `${int(e.result.highestHeld)} orders/s held`,
  ),
  ...e2eRows(e.result, { heldRate: undefined, p99Ms: undefined }, e.rss),
  row(
    '  CPU per order by process kind (all replicas), and the servers',
    Object.entries(e.cpuMsPerOrder)
      .map(([kind, msPerOrder]) => `${kind} ${msPerOrder.toFixed(1)} ms`)
      .join(', '),
  ),
  row('  saga steps decided again per order (the saga stream had moved on)', e.sagaConflictsPerOrder.toFixed(3)),
];

/** Issue 17: the held rate with more projectors and saga runners against one of each, in the same run. */
const scaleOutRows = (e2es: readonly DistributedE2e[]): TableRow[] => {
  const one = e2es.find((e) => e.replicas === 1);
  return e2es
    .filter((e) => e.replicas > 1 && one !== undefined)
    .map((e) =>
      row(`scale-out: ${e.replicas} projectors and saga runners vs 1`, `${int(e.result.highestHeld ?? 0)} orders/s`, {
        baseline: `${int(one?.result.highestHeld ?? 0)} orders/s with 1`,
        ratio: ratio(e.result.highestHeld ?? 0, one?.result.highestHeld ?? 0),
      }),
    );
};

/** Takeover after SIGKILL, with the consumers' session timeout and the saga takeover time set as written here. */
const TAKEOVER_ENV = { KAFKA_SESSION_TIMEOUT_MS: '10000', SAGA_TAKEOVER_MS: '5000' } as const;

const takeoverTimes = async (kafkaBrokers: string, postgresUrl: string): Promise<TakeoverResult[]> => {
  const dir = mkdtempSync(join(tmpdir(), 'commerce-bench-takeover-'));
  const run = `takeover${Date.now().toString(36)}`;
  progress(`takeover: ${takeoverRounds} SIGKILL(s) per process kind, two of each (${JSON.stringify(TAKEOVER_ENV)})`);
  try {
    return await runTakeovers({
      dir,
      rounds: takeoverRounds,
      env: {
        EVENT_STORE: 'postgres',
        READ_STORE: 'postgres',
        POSTGRES_URL: postgresUrl,
        POSTGRES_EVENT_SCHEMA: `${run}_events`,
        POSTGRES_READ_SCHEMA: `${run}_reads`,
        BUS: 'kafka',
        KAFKA_BROKERS: kafkaBrokers,
        KAFKA_TOPIC_PREFIX: `${run}.`,
        ...TAKEOVER_ENV,
      },
    });
  } finally {
    await dropBenchData({ kind: 'postgres', url: postgresUrl }, run);
    await dropBenchTopics(kafkaBrokers, run);
    rmSync(dir, { recursive: true, force: true });
  }
};

const takeoverRows = (results: readonly TakeoverResult[]): TableRow[] =>
  results.map((r) =>
    row(
      `takeover after SIGKILL of a ${r.kind} (twin running): stall until probes confirmed, ${r.samplesMs.length} kills`,
      `max ${(Math.max(...r.samplesMs) / 1000).toFixed(1)} s, median ${(median(r.samplesMs) / 1000).toFixed(1)} s`,
      {
        baseline:
          r.kind === 'relay'
            ? 'lease: PostgreSQL session ends'
            : `session timeout ${Number(TAKEOVER_ENV.KAFKA_SESSION_TIMEOUT_MS) / 1000} s` +
              (r.kind === 'saga-runner' ? `, saga takeover ${Number(TAKEOVER_ENV.SAGA_TAKEOVER_MS) / 1000} s` : ''),
      },
    ),
  );

/**
 * The run's topics (`<run>.orders` …): a broker that keeps every run's partitions pays for all of them in each later
 * run (a few hundred idle partitions cost it tens of ms of CPU per second), which the next run would charge to its
 * orders.
 */
const dropBenchTopics = async (kafkaBrokers: string, run: string): Promise<void> => {
  const admin = kafkaFromEnv({ brokers: [kafkaBrokers] }).admin();
  try {
    await withTimeout(admin.connect(), 10_000, 'connecting to drop the bench topics');
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(`${run}.`));
    if (topics.length > 0) await withTimeout(admin.deleteTopics({ topics }), 30_000, 'dropping the bench topics');
  } catch {
    // topics left behind are named after the run; the throwaway broker goes with the harness
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
};

const dropBenchData = async (stores: E2eStores, run: string): Promise<void> => {
  if (stores.kind === 'postgres') {
    const client = new pg.Client({ connectionString: stores.url });
    try {
      await withTimeout(client.connect(), 10_000, 'connecting to drop the bench schemas');
      for (const schema of [`${run}_events`, `${run}_reads`])
        await withTimeout(client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`), 60_000, `dropping ${schema}`);
    } catch {
      // a schema left behind is named after the run; the throwaway cluster goes with the harness
    } finally {
      await client.end().catch(() => undefined);
    }
    return;
  }
  const client = mongoClient(stores.url);
  await withTimeout(client.db(run).dropDatabase(), 30_000, 'dropping the bench database').catch(() => undefined);
  await client.close().catch(() => undefined);
};

/** Every projection rebuilt into a fresh FerretDB database, dropped afterwards. */
const rebuildIntoFerretDb = async (mongoUrl: string): Promise<RebuildOutcome> => {
  const database = `rebuild_bench_${Date.now().toString(36)}`;
  progress(`rebuild into FerretDB: ${int(rebuildEvents)} events (database ${database})`);
  try {
    return await runRebuildBench(rebuildEvents, mongoReadStoreAt(mongoUrl, database));
  } finally {
    const client = mongoClient(mongoUrl);
    await withTimeout(client.db(database).dropDatabase(), 60_000, 'dropping the rebuild database').catch(
      () => undefined,
    );
    await client.close().catch(() => undefined);
  }
};

const main = async (): Promise<void> => {
  const started = Date.now();
  progress(`npm run bench:services${quick ? ' --quick' : ''}: real Kafka and FerretDB`);
  const { state, started: startedServers } = await startServices();
  const kafkaBrokers = state.kafka?.url;
  const mongoUrl = state.ferretdb?.url;
  if (kafkaBrokers === undefined || mongoUrl === undefined) throw new Error('the harness did not report both servers');
  process.env.KAFKA_BROKERS = kafkaBrokers;
  process.env.MONGODB_URL = mongoUrl;
  const postgresUrl = state.postgres?.url;
  try {
    let pgAppends: PgAppendFigures | undefined;
    let pgLag: PgSubscriptionLag | undefined;
    if (!skipPgAppends) {
      if (postgresUrl === undefined) throw new Error('the harness did not report PostgreSQL');
      pgAppends = await benchPgAppends(postgresUrl, { quick });
      pgLag = await benchPgSubscriptionLag(postgresUrl, { seconds: quick ? 3 : 10 });
    }
    const kafkaRunsDone: KafkaThroughput[] = [];
    for (let run = 1; run <= (skipKafka ? 0 : kafkaRuns); run++) {
      const k = await benchKafka(kafkaEvents);
      kafkaRunsDone.push(k);
      const raw = 1 / (1 / k.rawProducePerSecond + 1 / k.rawConsumePerSecond);
      progress(
        `kafka run ${run}/${kafkaRuns}: relay ${int(k.relayPerSecond)}/s (${ratio(k.relayPerSecond, k.rawProducePerSecond)} of raw), ` +
          `consume ${int(k.consumePerSecond)}/s (${ratio(k.consumePerSecond, k.rawConsumePerSecond)}), ` +
          `relay + consume ${int(k.relayPlusConsumePerSecond)}/s (${ratio(k.relayPlusConsumePerSecond, raw)})`,
      );
    }
    const kafka = skipKafka ? undefined : medianThroughput(kafkaRunsDone);
    const rebuild: RebuildOutcome = skipRebuild
      ? {
          ok: false,
          reason: `skipped (${args['kafka-only'] ? '--kafka-only' : cpuOnly ? '--cpu-at' : '--skip-rebuild'})`,
        }
      : await rebuildIntoFerretDb(mongoUrl);
    let pgRebuild: PgRebuildOutcome | undefined;
    if (!skipPgRebuild) {
      if (postgresUrl === undefined) throw new Error('the harness did not report PostgreSQL');
      pgRebuild = await benchPgRebuild(postgresUrl, rebuildEvents);
    }
    const e2eStores: E2eStores | undefined =
      args['e2e-stores'] === 'ferretdb'
        ? { kind: 'ferretdb', url: mongoUrl }
        : postgresUrl === undefined
          ? undefined
          : { kind: 'postgres', url: postgresUrl };
    if (e2eStores === undefined) throw new Error('the harness did not report PostgreSQL');
    const takeovers =
      takeover && postgresUrl !== undefined ? await takeoverTimes(kafkaBrokers, postgresUrl) : undefined;
    const e2es: DistributedE2e[] = [];
    const servers: Record<string, number> = {
      ...(state.kafka === undefined ? {} : { kafka: state.kafka.pid }),
      ...(e2eStores.kind === 'postgres' && state.postgres !== undefined ? { postgres: state.postgres.pid } : {}),
    };
    if (!skipE2e) {
      for (const n of replicaCounts) e2es.push(await distributedE2e(kafkaBrokers, e2eStores, n, servers));
    }
    const cpu =
      cpuAt === undefined
        ? undefined
        : await distributedCpu(kafkaBrokers, e2eStores, servers, { idleSeconds, rate: cpuAt, seconds: cpuStepSeconds });
    const rows = [
      ...(pgAppends === undefined ? [] : pgAppendRows(pgAppends)),
      ...(pgLag === undefined ? [] : pgLagRows(pgLag)),
      ...(kafka === undefined ? [] : kafkaRows(kafka, kafkaRuns)),
      ...(pgRebuild === undefined ? [] : pgRebuildRows(pgRebuild, SERVICE_GOALS.rebuildOnPostgresPerSecond)),
      ...rebuildRows(
        rebuild,
        { perSecond: SERVICE_GOALS.rebuildIntoFerretDbPerSecond },
        'projection rebuild into FerretDB',
      ),
      ...(cpu === undefined ? [] : cpuRows(cpu)),
      ...(e2es.length === 0 && !cpuOnly
        ? [row('end to end', `skipped (${args['kafka-only'] ? '--kafka-only' : '--skip-e2e'})`)]
        : e2es.flatMap(distributedRows)),
      ...scaleOutRows(e2es),
      ...(takeovers === undefined ? [] : takeoverRows(takeovers)),
    ];
    const file = writeResults('-services', {
      kind: 'services',
      startedAt: new Date(started).toISOString(),
      seconds: (Date.now() - started) / 1000,
      options: { quick, kafkaEvents, kafkaRuns, rebuildEvents, steps },
      machine: { cpus: cpus().length, loadavg: loadavg(), node: process.version },
      goals: SERVICE_GOALS,
      pgAppends,
      pgLag,
      kafka,
      kafkaRuns: kafkaRunsDone,
      rebuild,
      pgRebuild,
      cpu,
      e2e: e2es.map((e) => ({ replicas: e.replicas, ...e.result, cpuMsPerOrder: e.cpuMsPerOrder })),
      peakRssMiB: e2es.map((e) => e.rss),
      takeovers,
      table: rows,
    });
    process.stdout.write(`\n${markdownTable(rows)}\n\n`);
    progress(`done in ${((Date.now() - started) / 1000).toFixed(0)} s; results in ${file}`);
  } finally {
    if (startedServers.length > 0) {
      progress(`stopping the servers this run started: ${startedServers.join(', ')}`);
      await stopServices(startedServers);
    }
  }
};

if (require.main === module) {
  main().catch((error: unknown) => {
    progress(`bench:services failed: ${errorText(error)}`);
    process.exitCode = 1;
  });
}
